package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.Arrays;
import java.util.Map;

/** Selection, type conversion, constants and the inference-time no-ops. */
final class TensorOps {

    private TensorOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Where", c -> new NDList(NDArrays.where(c.in(0).toType(DataType.BOOLEAN, false), c.in(1), c.in(2))));
        r.put("Cast", TensorOps::cast);
        r.put("Dropout", TensorOps::dropout);
        r.put("Identity", c -> new NDList(c.in(0)));
        r.put("Constant", TensorOps::constant);
        r.put("ConstantOfShape", TensorOps::constantOfShape);
    }

    private static NDList cast(OpCall c) {
        DataType to = NDTensors.toDjl((int) c.attrInt("to", 0));
        NDArray x = c.in(0);
        return new NDList(x.getDataType() == to ? x : x.toType(to, false));
    }

    /**
     * An identity: the interpreter runs exported graphs for inference and fine-tuning alike; random masks in
     * training mode are refused rather than computed differently from the reference.
     */
    private static NDList dropout(OpCall c) {
        NDArray x = c.in(0);
        boolean training = c.opset() >= 12 && c.has(2) && c.longs(2)[0] != 0;
        if (training) {
            double ratio = c.has(1) ? c.doubles(1)[0] : 0.5;
            if (ratio != 0) {
                throw c.unsupported("Dropout in training mode is random and not supported");
            }
        }
        NDList out = new NDList(x);
        if (c.wantsOutput(1)) {
            DataType maskType = c.opset() < 10 ? x.getDataType() : DataType.BOOLEAN;
            out.add(c.manager().ones(x.getShape(), maskType, x.getDevice()));
        }
        return out;
    }

    private static NDList constant(OpCall c) {
        NDManager m = c.manager();
        Map<String, AttributeProto> attrs = c.node().attributes();
        NDArray v;
        if (attrs.containsKey("value")) {
            v = NDTensors.toNDArray(m, attrs.get("value").getT());
        } else if (attrs.containsKey("value_float")) {
            v = m.create(attrs.get("value_float").getF());
        } else if (attrs.containsKey("value_floats")) {
            var fs = attrs.get("value_floats").getFloatsList();
            float[] f = new float[fs.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = fs.get(i);
            }
            v = m.create(f);
        } else if (attrs.containsKey("value_int")) {
            v = m.create(attrs.get("value_int").getI());
        } else if (attrs.containsKey("value_ints")) {
            v = m.create(attrs.get("value_ints").getIntsList().stream().mapToLong(Long::longValue).toArray());
        } else {
            throw c.unsupported("Constant with " + attrs.keySet() + " (sparse or string values) is not supported");
        }
        return new NDList(v);
    }

    private static NDList constantOfShape(OpCall c) {
        long[] shape = c.longs(0);
        TensorProto value = c.node().attrTensor("value");
        if (value == null) {
            value = Tensors.floatTensor("value", new float[] {0f}, 1);
        }
        NDArray scalar = NDTensors.toNDArray(c.manager(), value).reshape(new Shape()).toDevice(c.in(0).getDevice(), false);
        return new NDList(scalar.broadcast(new Shape(shape)).duplicate());
    }
}
