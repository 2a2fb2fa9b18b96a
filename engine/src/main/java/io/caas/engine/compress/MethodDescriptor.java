package io.caas.engine.compress;

import io.caas.engine.onnx.LayerKind;
import java.util.List;
import java.util.Set;

/** What a compression method is, which layers it rewrites, and what it can be told. */
public record MethodDescriptor(String name, String title, String description, Set<LayerKind> layerKinds,
                               boolean needsTrainingData, List<MethodParameter> parameters) {
}
