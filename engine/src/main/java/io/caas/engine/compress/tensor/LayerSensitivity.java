package io.caas.engine.compress.tensor;

import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How much the model's output moves when one layer alone is factorized, measured in ONNX Runtime on a few samples
 * of the job's evaluation data (then also the accuracy lost, where it has labels) or on seeded random inputs. This
 * tells which layers are sensitive, which a kernel's own reconstruction error does not: an early layer's error is
 * carried through every later one.
 */
final class LayerSensitivity {

    /** Size given to symbolic input dims (other than the batch) for random inputs: a multiple of 32 for detectors. */
    static final long SYMBOLIC_DIM = 64;

    /** @param accuracyDrop the original's top-1 minus this model's, null without labels */
    record Figures(double outputRelativeError, double argmaxAgreement, Double accuracyDrop) {

        String text() {
            String s = String.format(Locale.ROOT, "alone: output relative error %.4f, argmax agreement %.3f",
                    outputRelativeError, argmaxAgreement);
            return accuracyDrop == null ? s : s + String.format(Locale.ROOT, ", accuracy drop %.4f", accuracyDrop);
        }
    }

    private final ModelProto original;
    private final Optional<Dataset> data;
    private final EvaluationOptions options;
    private Double originalAccuracy;

    LayerSensitivity(ModelProto original, Optional<Dataset> evalData, int samples) {
        this.original = original;
        this.data = evalData;
        long[] shape = evalData.isPresent() ? null : randomSampleShape(original);
        this.options = new EvaluationOptions(0, 1, Math.min(32, samples), 1, shape, samples, samples, 42);
    }

    Figures measure(ModelProto oneLayerFactorized) {
        OutputAgreement a = Evaluator.compare(original, oneLayerFactorized, data, options);
        Double drop = null;
        if (data.isPresent() && data.get().labelled()) {
            if (originalAccuracy == null) {
                originalAccuracy = Evaluator.measure(original, data, options).top1Accuracy();
            }
            drop = originalAccuracy - Evaluator.measure(oneLayerFactorized, data, options).top1Accuracy();
        }
        return new Figures(a.meanRelativeError(), a.argmaxAgreement(), drop);
    }

    private static long[] randomSampleShape(ModelProto model) {
        List<TensorSpec> inputs = ModelInspector.inspect(model).inputs();
        if (inputs.isEmpty()) {
            return null;
        }
        List<Object> dims = inputs.get(0).shape();
        long[] shape = new long[Math.max(0, dims.size() - 1)];
        for (int d = 1; d < dims.size(); d++) {
            shape[d - 1] = dims.get(d) instanceof Long n && n > 0 ? n : SYMBOLIC_DIM;
        }
        return shape;
    }
}
