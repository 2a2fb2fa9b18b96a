package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.caas.engine.onnx.proto.Onnx.ModelProto;

/** Entry point: turns an ONNX model into a trainable DJL block on the PyTorch engine. */
public final class OnnxInterpreter {

    public static final String ENGINE = "PyTorch";

    private OnnxInterpreter() {
    }

    /**
     * Loads the model's weights onto {@code device}. Every operator is resolved first, so a model with an
     * unsupported operator fails here, naming it, before any weight is copied.
     */
    public static InterpretedModel load(ModelProto model, Device device) {
        return load(model, device, true);
    }

    /**
     * @param fused whether exported LayerNorm and GELU chains run as one operator each (see {@link FusedPatterns});
     *              off only to compare against the graph as written
     */
    static InterpretedModel load(ModelProto model, Device device, boolean fused) {
        OnnxGraph graph = OnnxGraph.of(model);
        graph.allNodes().filter(node -> !graph.isFolded(node)).forEach(OperatorRegistry::forNode);
        ConvolutionBackend.ensureCorrect(device);
        NDManager manager = TorchRuntime.newManager(device);
        try {
            OnnxBlock block = new OnnxBlock(graph, manager, fused);
            // Parameters already hold their arrays; initialize only marks them as requiring gradients.
            block.getParameters().values().forEach(p -> p.initialize(manager, DataType.FLOAT32));
            return new InterpretedModel(manager, block);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }
}
