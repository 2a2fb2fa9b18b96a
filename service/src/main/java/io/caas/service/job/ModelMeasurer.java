package io.caas.service.job;

import io.caas.engine.data.Dataset;
import ai.djl.Device;
import ai.djl.engine.Engine;
import io.caas.engine.eval.EvaluationException;
import io.caas.engine.eval.InterpreterTiming;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Measures the original and the compressed model alike. A model ONNX Runtime cannot feed from what it declares
 * (symbolic shapes, integer inputs) still gets its size measured; the report then says why latency is missing
 * rather than failing a compression that worked.
 */
@Component
class ModelMeasurer {

    private final EvaluationOptions options;

    ModelMeasurer(@Value("${caas.jobs.evaluation.warmup-runs:5}") int warmup,
                  @Value("${caas.jobs.evaluation.timed-runs:30}") int timed,
                  @Value("${caas.jobs.evaluation.batch-size:32}") int batch,
                  @Value("${caas.jobs.evaluation.max-samples:2000}") int maxSamples) {
        this.options = EvaluationOptions.defaults().withRuns(warmup, timed).withBatchSize(batch).withMaxSamples(maxSamples);
    }

    /** The batch size latency is measured at besides 1, which a job's speed target refers to. */
    int batchSize() {
        return options.batchSize();
    }

    record Measured(ModelMeasurements original, ModelMeasurements compressed, OutputAgreement agreement,
                    JobReport.InterpreterLatency interpreter, String note) {
    }

    Measured measure(ModelProto original, ModelProto compressed, Optional<Dataset> eval) {
        JobReport.InterpreterLatency interpreter = interpreterLatency(original, compressed, eval);
        try {
            ModelMeasurements before = Evaluator.measure(original, eval, options);
            ModelMeasurements after = Evaluator.measure(compressed, eval, options);
            OutputAgreement agreement = Evaluator.compare(original, compressed, eval, options);
            return new Measured(before, after, agreement, interpreter, null);
        } catch (EvaluationException e) {
            return new Measured(sizeOnly(original), sizeOnly(compressed), null, interpreter,
                    "latency and accuracy not measured: " + e.getMessage());
        }
    }

    /** The same two models in the engine's interpreter, on the device fine-tuning uses (a GPU where there is one). */
    private JobReport.InterpreterLatency interpreterLatency(ModelProto original, ModelProto compressed,
                                                            Optional<Dataset> eval) {
        long[] shape = eval.map(Dataset::sampleShape).orElse(null);
        Device device = Engine.getEngine(OnnxInterpreter.ENGINE).defaultDevice();
        try {
            return new JobReport.InterpreterLatency(InterpreterTiming.measure(original, shape, options, device),
                    InterpreterTiming.measure(compressed, shape, options, device), null);
        } catch (RuntimeException e) {
            // e.g. a symbolic spatial size read as 1 that the model's pooling cannot take: a measurement gap, said
            // in the report, not a reason to throw away a compression that worked
            return new JobReport.InterpreterLatency(null, null, "not measured: " + e.getMessage());
        }
    }

    private static ModelMeasurements sizeOnly(ModelProto model) {
        return new ModelMeasurements(ModelInspector.inspect(model).parameters(), model.getSerializedSize(), null,
                null, false, null, 0);
    }
}
