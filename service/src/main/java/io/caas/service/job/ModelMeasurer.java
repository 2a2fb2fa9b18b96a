package io.caas.service.job;

import ai.djl.Device;
import io.caas.engine.cost.MacComparison;
import io.caas.engine.cost.MacCounter;
import io.caas.engine.data.Dataset;
import io.caas.engine.eval.EvaluationException;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.eval.InterpreterTiming;
import io.caas.engine.eval.ModelMeasurements;
import io.caas.engine.eval.OutputAgreement;
import io.caas.engine.eval.PairedMeasurements;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.service.config.CaasProperties;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Measures the original and the compressed model alike: size, accuracy and agreement, latency in alternating
 * rounds, MACs per layer, time per node. A model ONNX Runtime cannot feed from what it declares (symbolic shapes,
 * integer inputs) still gets its size measured; the report then says why latency is missing rather than failing a
 * compression that worked.
 */
@Component
class ModelMeasurer {

    private final EvaluationOptions options;
    private final TrainingDevice trainingDevice;

    ModelMeasurer(CaasProperties properties, TrainingDevice trainingDevice) {
        this.trainingDevice = trainingDevice;
        CaasProperties.Evaluation e = properties.jobs().evaluation();
        this.options = EvaluationOptions.defaults().withRuns(e.warmupRuns(), e.timedRuns()).withBatchSize(e.batchSize())
                .withMaxSamples(e.maxSamples());
    }

    /** The batch size latency is measured at besides 1, which a job's speed target refers to. */
    int batchSize() {
        return options.batchSize();
    }

    record Measured(ModelMeasurements original, ModelMeasurements compressed, OutputAgreement agreement,
                    JobReport.InterpreterLatency interpreter, JobReport.Speed speed, MacComparison macs,
                    JobReport.Profiles profile, String note) {
    }

    /** @param interpreter whether to time both models in the engine's interpreter too (the request's measure) */
    Measured measure(ModelProto original, ModelProto compressed, Optional<Dataset> eval, boolean interpreter) {
        JobReport.InterpreterLatency interpreterLatency = interpreter ? interpreterLatency(original, compressed, eval)
                : JobReport.InterpreterLatency.NOT_ASKED;
        // the evaluation data's sample shape where there is one, so MACs count what accuracy was measured on
        MacComparison macs = MacCounter.compare(original, compressed, eval.map(Dataset::sampleShape).orElse(null),
                eval.map(Dataset::inputs).orElse(List.of()));
        try {
            PairedMeasurements m = Evaluator.measurePair(original, compressed, eval, options);
            JobReport.Speed speed = sameGraph(original, compressed) ? JobReport.Speed.unchanged(m.batch1(), m.batchN())
                    : JobReport.Speed.of(m.batch1(), m.batchN());
            return new Measured(m.original(), m.compressed(), m.agreement(), interpreterLatency, speed, macs,
                    profiles(original, compressed, eval), null);
        } catch (EvaluationException e) {
            return new Measured(sizeOnly(original), sizeOnly(compressed), null, interpreterLatency, null, macs,
                    new JobReport.Profiles(null, null, "not profiled: " + e.getMessage()),
                    "latency and accuracy not measured: " + e.getMessage());
        }
    }

    /**
     * Whether two models compute with the same graph: the same nodes (operator, inputs, outputs, attributes; a
     * Constant's tensor by its type and shape) and initializers of the same names, types and shapes. Their weights'
     * values may differ (a method that trained a layer and wrote it back dense); what each run costs does not.
     */
    static boolean sameGraph(ModelProto a, ModelProto b) {
        GraphProto ga = a.getGraph();
        GraphProto gb = b.getGraph();
        if (ga.getNodeCount() != gb.getNodeCount() || ga.getInitializerCount() != gb.getInitializerCount()
                || !ga.getInputList().equals(gb.getInputList()) || !ga.getOutputList().equals(gb.getOutputList())) {
            return false;
        }
        for (int i = 0; i < ga.getNodeCount(); i++) {
            if (!withoutValues(ga.getNode(i)).equals(withoutValues(gb.getNode(i)))) {
                return false;
            }
        }
        for (int i = 0; i < ga.getInitializerCount(); i++) {
            if (!withoutValues(ga.getInitializer(i)).equals(withoutValues(gb.getInitializer(i)))) {
                return false;
            }
        }
        return true;
    }

    private static NodeProto withoutValues(NodeProto node) {
        NodeProto.Builder n = node.toBuilder();
        for (int i = 0; i < n.getAttributeCount(); i++) {
            if (n.getAttribute(i).hasT()) {
                n.setAttribute(i, n.getAttribute(i).toBuilder().setT(withoutValues(n.getAttribute(i).getT())));
            }
        }
        return n.build();
    }

    private static TensorProto withoutValues(TensorProto t) {
        return TensorProto.newBuilder().setName(t.getName()).setDataType(t.getDataType()).addAllDims(t.getDimsList())
                .build();
    }

    private JobReport.Profiles profiles(ModelProto original, ModelProto compressed, Optional<Dataset> eval) {
        try {
            return new JobReport.Profiles(Evaluator.profile(original, eval, options),
                    Evaluator.profile(compressed, eval, options), null);
        } catch (EvaluationException e) {
            return new JobReport.Profiles(null, null, "not profiled: " + e.getMessage());
        }
    }

    /** The same two models in the engine's interpreter, on the device fine-tuning uses. */
    private JobReport.InterpreterLatency interpreterLatency(ModelProto original, ModelProto compressed,
                                                            Optional<Dataset> eval) {
        long[] shape = eval.map(Dataset::sampleShape).orElse(null);
        Device device = trainingDevice.device();
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
