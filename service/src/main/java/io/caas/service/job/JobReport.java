package io.caas.service.job;

import io.caas.engine.compress.LayerReport;
import io.caas.engine.eval.InterpreterTiming;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.eval.OutputAgreement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Everything measured about a finished job, served by GET /v1/jobs/{id}/report. Both models are measured by the
 * same evaluator (ONNX Runtime, same inputs, same threads), so the figures compare.
 *
 * @param original          the uploaded model
 * @param compressed        the artifact
 * @param agreement         how closely the artifact's outputs follow the original's (evaluation data, or seeded
 *                          random inputs without it)
 * @param interpreter       the two models' latency in the engine's DJL/PyTorch interpreter, which fine-tunes
 * @param compressionRatio  parameters after / before
 * @param accuracyDelta     top-1 after minus before, as a fraction; absent without labelled evaluation data
 * @param measurementNote   why a figure is missing, when one is
 * @param curves            named series over steps ("loss", "rank:layer"...), each a list of [step, value]
 */
public record JobReport(UUID jobId, UUID modelId, String method, Map<String, Object> parameters,
                        ModelMeasurements original, ModelMeasurements compressed, OutputAgreement agreement,
                        InterpreterLatency interpreter, double compressionRatio, Double accuracyDelta, String measurementNote,
                        List<LayerReport> layers, Map<String, List<double[]>> curves) {

    /** @param note why the interpreter could not time the models, when it could not (unsupported operators...) */
    public record InterpreterLatency(InterpreterTiming.Result original, InterpreterTiming.Result compressed,
                                     String note) {
    }
}
