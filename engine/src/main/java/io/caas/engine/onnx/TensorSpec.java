package io.caas.engine.onnx;

import java.util.List;

/**
 * A graph input or output as a user sees it.
 *
 * @param shape one entry per dimension: a {@link Long} for a fixed size, a {@link String} for a symbolic one
 *              ("batch"), or "?" where the model says nothing
 */
public record TensorSpec(String name, String elementType, List<Object> shape) {
}
