package io.caas.engine.compress.ldr;

import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.util.Optional;

/**
 * One Gemm/MatMul layer cut out of its model as a model of its own, x [N, in] → y [N, out], with its weight and
 * bias as initializers: what the output fit trains, through the same in-graph weight rebuild the export uses.
 *
 * @param model the one-node model
 * @param layer the layer as seen in it (node index 0)
 * @param bias  the name of its bias (Gemm's C) when that is a stored weight, else empty
 */
record LayerModel(ModelProto model, DenseLayer layer, Optional<String> bias) {

    static LayerModel of(ModelProto source, DenseLayer layer, Weights weights) {
        var node = layer.node();
        GraphProto.Builder g = GraphProto.newBuilder().setName(layer.layer().node() + "_alone").addNode(node)
                .addInput(floatInfo(node.getInput(0), layer.in())).addOutput(floatInfo(node.getOutput(0), layer.out()));
        TensorProto weight = weights.get(node.getInput(1)).orElseThrow();
        g.addInitializer(weight.toBuilder().setName(node.getInput(1)));
        Optional<String> bias = Optional.empty();
        if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
            Optional<TensorProto> c = weights.get(node.getInput(2));
            if (c.isEmpty()) {
                throw new IllegalArgumentException(layer.layer().node() + " adds a computed C, not a stored bias");
            }
            g.addInitializer(c.get().toBuilder().setName(node.getInput(2)));
            bias = Optional.of(node.getInput(2));
        }
        ModelProto model = source.toBuilder().clearFunctions().setGraph(g).build();
        return new LayerModel(model, new DenseLayer(layer.layer(), 0, node, layer.in(), layer.out(), layer.matrix()),
                bias);
    }

    private static ValueInfoProto floatInfo(String name, int width) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }
}
