package io.caas.engine.onnx;

import java.util.List;
import java.util.Optional;

/**
 * A bilinear layer z[b,k] = Σ_ij x[b,i]·W[k,i,j]·y[b,j] as some graph writes it: one Einsum node
 * ({@link BilinearEinsum}), a MatMul pattern with a 2-D projection ({@link BilinearMatMul}) or a broadcasting
 * MatMul with the 3-D weight ({@link BilinearBroadcastMatMul}). Whatever the form, the layer reads two
 * activations and one stored weight, and writes {@link #output()}, the bilinear term before any bias.
 */
public sealed interface BilinearForm permits BilinearEinsum, BilinearMatMul, BilinearBroadcastMatMul {

    /** The stored weight (initializer or Constant output) the layer reads. */
    String weight();

    /** The activation contracted with the weight's axis of size {@link #inFirst()}. */
    String first();

    /** The activation contracted with the weight's axis of size {@link #inSecond()}; may be {@link #first()}. */
    String second();

    long out();

    long inFirst();

    long inSecond();

    /** The value the layer writes, [batch, out]. */
    String output();

    /** Indices of the graph nodes that make up the layer (its last one writes {@link #output()}). */
    List<Integer> nodes();

    /** The weight as [out, inFirst, inSecond] row-major, however it is stored. */
    float[] weightValues(Weights weights);

    /**
     * The stored bias of the first activation's projection, where the layer has one (nn.Linear with a bias as the
     * projection): it adds Σ_j c[k,j]·second_j to z_k, a term linear in the second activation.
     */
    default Optional<String> projectionBias() {
        return Optional.empty();
    }

    /** That bias c as [out, inSecond] row-major; empty where there is none. */
    default Optional<float[]> projectionBiasValues(Weights weights) {
        return Optional.empty();
    }
}
