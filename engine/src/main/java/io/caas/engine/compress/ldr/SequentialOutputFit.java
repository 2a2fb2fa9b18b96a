package io.caas.engine.compress.ldr;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.TorchRuntime;
import io.caas.engine.train.SampleInputs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The data-aware fit of every structured layer, in graph order (layer-wise distillation): each layer is fitted
 * ({@link OutputFit}) to the original model's output of that layer, on the inputs it gets from the model whose
 * earlier layers are already structured and fitted, so each layer also makes up for what the ones before it lost
 * instead of the errors compounding.
 *
 * @param samples        training samples the activations are taken from
 * @param stepsPerLayer  Adam steps per layer, full batch over the samples
 * @param learningRate   Adam's rate at the start (cosine-decayed)
 */
record SequentialOutputFit(int samples, int stepsPerLayer, double learningRate) {

    /**
     * @param model  the original with the fitted biases in place of the old ones
     * @param layers the structured layers with their fitted generators
     * @param notes  per layer node: weight and output error before and after
     */
    record Outcome(ModelProto model, List<StructuredExport.Layer> layers, Map<String, String> notes) {
    }

    Outcome run(ModelProto original, List<StructuredExport.Layer> closedForm, Dataset data, ProgressListener progress,
                double progressFrom, double progressWidth) throws InterruptedException {
        List<StructuredExport.Layer> ordered = new ArrayList<>(closedForm);
        ordered.sort(Comparator.comparingInt(l -> l.dense().nodeIndex()));
        ModelProto base = original;
        List<StructuredExport.Layer> fitted = new ArrayList<>();
        Map<String, String> notes = new LinkedHashMap<>();
        try (NDManager work = TorchRuntime.newManager(Device.cpu())) {
            NDList inputs;
            NDList targets;
            try (InterpretedModel teacher = OnnxInterpreter.load(original, Device.cpu())) {
                inputs = SampleInputs.first(teacher, data, samples, work);
                targets = teacher.values(inputs, ordered.stream().map(l -> l.dense().node().getOutput(0)).toList());
            }
            for (int i = 0; i < ordered.size(); i++) {
                StructuredExport.Layer layer = ordered.get(i);
                DenseLayer dense = layer.dense();
                ModelProto prefix = fitted.isEmpty() ? base
                        : new StructuredExport(base, StructuredExport::fastestToTrain).apply(fitted);
                NDArray x;
                try (InterpretedModel student = OnnxInterpreter.load(prefix, Device.cpu())) {
                    // data, not part of any graph: the fit's backward passes must not reach into these models
                    x = student.values(inputs, List.of(dense.node().getInput(0))).head().reshape(-1, dense.in())
                            .stopGradient();
                }
                NDArray y = targets.get(i).reshape(-1, dense.out()).stopGradient();
                boolean fitBias = ownBias(base.getGraph(), dense.node());
                OutputFit.Result r = OutputFit.fit(LayerModel.of(base, dense, Weights.of(base.getGraph())), layer, x,
                        y, stepsPerLayer, learningRate, fitBias);
                x.close();
                StructuredExport.Layer done = new StructuredExport.Layer(dense, layer.layout(), layer.structure(),
                        r.blocks());
                fitted.add(done);
                if (r.bias().isPresent()) {
                    base = withInitializer(base, r.bias().get());
                }
                notes.put(dense.layer().node(), String.format(Locale.ROOT, "relative weight error %.3f (closed form) "
                                + "-> %.3f; relative output error on %d training samples %.3f -> %.3f after %d Adam "
                                + "steps fitting %s to the original layer's outputs",
                        GeneratorFit.relativeError(layer.layout(), dense.matrix(), layer.blocks()),
                        GeneratorFit.relativeError(layer.layout(), dense.matrix(), r.blocks()),
                        y.getShape().get(0), r.errorBefore(), r.errorAfter(), stepsPerLayer,
                        fitBias ? "generators and bias" : "generators"));
                progress.progress(progressFrom + progressWidth * (i + 1) / ordered.size(),
                        "fitted " + dense.layer().node() + " to its outputs on data");
            }
        }
        return new Outcome(base, fitted, notes);
    }

    /** A bias stored as an initializer and added by this node alone can be refitted in place. */
    private static boolean ownBias(GraphProto g, NodeProto node) {
        if (node.getInputCount() < 3 || node.getInput(2).isEmpty()) {
            return false;
        }
        String c = node.getInput(2);
        return g.getInitializerList().stream().anyMatch(t -> t.getName().equals(c))
                && g.getNodeList().stream().filter(n -> n.getInputList().contains(c)).count() == 1;
    }

    private static ModelProto withInitializer(ModelProto model, TensorProto value) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(value.getName())) {
                g.setInitializer(i, value);
            }
        }
        return model.toBuilder().setGraph(g).build();
    }
}
