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
 * @param target            the job's target and whether the result meets it
 * @param measurementNote   why a figure is missing, when one is
 * @param curves            named series over steps ("loss", "rank:layer"...), each a list of [step, value]
 */
public record JobReport(UUID jobId, UUID modelId, String method, Map<String, Object> parameters,
                        ModelMeasurements original, ModelMeasurements compressed, OutputAgreement agreement,
                        InterpreterLatency interpreter, double compressionRatio, Double accuracyDelta,
                        TargetCheck target, String measurementNote, List<LayerReport> layers,
                        Map<String, List<double[]>> curves) {

    /**
     * The target is checked against the measured result, not yet steered toward: methods take their own parameters
     * (rank, energy, cut-off). A null verdict means the target was not set or could not be measured (no labelled
     * evaluation data for an accuracy target).
     *
     * @param met every verdict that could be given is true
     */
    public record TargetCheck(JobRequest.Target requested, Boolean compressionRatioMet, Boolean accuracyDropMet,
                              Boolean met) {

        static TargetCheck of(JobRequest.Target target, double compressionRatio, Double accuracyDelta) {
            if (target == null) {
                return null;
            }
            Boolean ratio = target.compressionRatio() == null ? null : compressionRatio <= target.compressionRatio();
            Boolean drop = target.maxAccuracyDrop() == null || accuracyDelta == null ? null
                    : -accuracyDelta <= target.maxAccuracyDrop();
            Boolean met = ratio == null && drop == null ? null : !Boolean.FALSE.equals(ratio) && !Boolean.FALSE.equals(drop);
            return new TargetCheck(target, ratio, drop, met);
        }
    }

    /** @param note why the interpreter could not time the models, when it could not (unsupported operators...) */
    public record InterpreterLatency(InterpreterTiming.Result original, InterpreterTiming.Result compressed,
                                     String note) {
    }
}
