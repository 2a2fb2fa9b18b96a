package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Training objectives over a model's first output, given as logits or (after a final Softmax) as probabilities. */
final class Losses {

    private Losses() {
    }

    /** Log-probabilities from either form; probabilities are clipped so a zero does not give -inf. */
    static NDArray logProbabilities(NDArray output, boolean isProbability) {
        return isProbability ? output.clip(1e-7f, 1f).log() : output.logSoftmax(-1);
    }

    /**
     * Mean negative log-likelihood of the labels over the batch (output [N, C], labels int64 [N]), as the sum of the
     * labels' log-probabilities and the factor -1/(labels) that makes it the mean. Training applies the factor in
     * the backward pass's seed gradient (ScaledBackward), which spares the graph a mean and a negation forward and
     * backward (four small kernels). The label's log-probability is gathered rather than multiplied out by a
     * one-hot mask: fewer ops forward and backward, and a -inf log-probability of another class cannot turn the sum
     * into NaN (-inf * 0). Outputs of another rank keep the one-hot form over the last axis.
     */
    static ScaledLoss crossEntropy(NDArray output, boolean isProbability, NDArray labels) {
        NDArray logp = logProbabilities(output, isProbability);
        Shape shape = output.getShape();
        float scale = -1f / labels.size();
        if (shape.dimension() == 2) {
            return new ScaledLoss(logp.gather(labels.reshape(-1, 1), 1).sum(), scale);
        }
        NDArray oneHot = labels.oneHot((int) shape.get(shape.dimension() - 1)).toType(logp.getDataType(), false);
        return new ScaledLoss(logp.mul(oneHot).sum(), scale);
    }

    /** A loss is {@code scale × unscaled}; unscaled is a scalar array on the autograd tape. */
    record ScaledLoss(NDArray unscaled, float scale) {

        static ScaledLoss of(NDArray loss) {
            return new ScaledLoss(loss, 1f);
        }

        double value() {
            return Losses.value(unscaled) * scale;
        }
    }

    static NDArray mse(NDArray output, NDArray target) {
        return output.sub(target).square().mean();
    }

    /**
     * MSE over the positions a [batch, sequence] mask keeps (1) of [batch, sequence, hidden] outputs: padding
     * positions of a token model's output are noise that no user of it reads.
     */
    static NDArray maskedMse(NDArray output, NDArray target, NDArray mask) {
        NDArray m = mask.toType(output.getDataType(), false).expandDims(-1);
        NDArray se = output.sub(target).square().mul(m).sum();
        return se.div(m.sum().mul(output.getShape().get(2)).maximum(1f));
    }

    /** KL(teacher || student) on temperature-softened distributions, scaled by T^2 as in Hinton et al. */
    static NDArray kl(NDArray output, NDArray teacher, boolean isProbability, float temperature) {
        NDArray studentLogits = logProbabilities(output, isProbability).div(temperature);
        NDArray teacherLogits = logProbabilities(teacher, isProbability).div(temperature);
        NDArray logPs = studentLogits.logSoftmax(-1);
        NDArray logPt = teacherLogits.logSoftmax(-1);
        NDArray kl = logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {-1}).mean();
        return kl.mul(temperature * temperature);
    }

    /** The scalar loss read back to the host: one copy out of libtorch, not a cast, an indexing op and a copy. */
    static double value(NDArray loss) {
        if (loss.getDataType() == DataType.FLOAT32) {
            return loss.toFloatArray()[0];
        }
        return loss.toType(DataType.FLOAT64, false).toDoubleArray()[0];
    }
}
