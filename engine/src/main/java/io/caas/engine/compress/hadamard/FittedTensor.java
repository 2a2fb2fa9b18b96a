package io.caas.engine.compress.hadamard;

import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.Weights;
import java.util.Optional;

/**
 * The tensor the CP decomposition fits for one layer, [out, firstRows, inSecond] row-major: the weight W, and
 * where the first activation's projection has a bias c, W with c as one more first-side row. That is the layer
 * read with x extended by a constant 1, z_k = [x; 1]ᵀ·W'_k·y = xᵀW_k y + c_kᵀy, so the bias term is fitted with
 * the rest and its factor row becomes the bias of x·U: z = Pᵀ((Uᵀx + u₀) ∘ Vᵀy), exact at full rank.
 *
 * @param biasRow whether the last first-side row is the projection bias
 */
public record FittedTensor(float[] values, int out, int firstRows, int inSecond, boolean biasRow) {

    public static FittedTensor of(BilinearForm form, Weights weights) {
        int k = (int) form.out();
        int i = (int) form.inFirst();
        int j = (int) form.inSecond();
        float[] w = form.weightValues(weights);
        Optional<float[]> bias = form.projectionBiasValues(weights);
        if (bias.isEmpty()) {
            return new FittedTensor(w, k, i, j, false);
        }
        float[] augmented = new float[k * (i + 1) * j];
        for (int kk = 0; kk < k; kk++) {
            System.arraycopy(w, kk * i * j, augmented, kk * (i + 1) * j, i * j);
            System.arraycopy(bias.get(), kk * j, augmented, (kk * (i + 1) + i) * j, j);
        }
        return new FittedTensor(augmented, k, i + 1, j, true);
    }

    /** The rank at which the CP decomposition reproduces this tensor exactly. */
    public int exactRank() {
        return CpDecomposition.exactRank(out, firstRows, inSecond);
    }

    /** Values the Hadamard form keeps at rank {@code d}: U, V, P and, with a bias row, u₀. */
    public long parametersAt(int d) {
        return (long) d * (out + firstRows + inSecond);
    }

    public CpDecomposition.Factors fit(int rank, int sweeps, long seed) {
        return CpDecomposition.fit(values, out, firstRows, inSecond, rank, sweeps, seed);
    }
}
