package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/** Arithmetic and activations: one array in (or two, broadcast NumPy-style by PyTorch), one out. */
final class ElementwiseOps {

    private ElementwiseOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Add", binary(NDArray::add));
        r.put("Sub", binary(NDArray::sub));
        r.put("Mul", binary(NDArray::mul));
        r.put("Div", ElementwiseOps::div);
        r.put("Pow", ElementwiseOps::pow);
        r.put("Neg", unary(NDArray::neg));
        r.put("Sqrt", unary(NDArray::sqrt));
        r.put("Exp", unary(NDArray::exp));
        r.put("Log", unary(NDArray::log));
        r.put("Abs", unary(NDArray::abs));
        r.put("Reciprocal", unary(x -> x.getManager().ones(new ai.djl.ndarray.types.Shape(), x.getDataType(),
                x.getDevice()).div(x)));
        r.put("Floor", unary(NDArray::floor));
        r.put("Ceil", unary(NDArray::ceil));
        r.put("Max", ElementwiseOps::max);
        r.put("Min", ElementwiseOps::min);
        r.put("Relu", unary(Activation::relu));
        r.put("Sigmoid", unary(Activation::sigmoid));
        r.put("Tanh", unary(NDArray::tanh));
        r.put("Erf", unary(NDArray::erf));
        r.put("LeakyRelu", c -> new NDList(Activation.leakyRelu(c.in(0), c.attrFloat("alpha", 0.01f))));
        r.put("HardSigmoid", c -> new NDList(hardSigmoid(c.in(0), c.attrFloat("alpha", 0.2f), c.attrFloat("beta", 0.5f))));
        r.put("HardSwish", c -> new NDList(c.in(0).mul(hardSigmoid(c.in(0), 1f / 6, 0.5f))));
        r.put("Gelu", ElementwiseOps::gelu);
        r.put("Clip", ElementwiseOps::clip);
    }

    private static Operator unary(UnaryOperator<NDArray> f) {
        return c -> new NDList(f.apply(c.in(0)));
    }

    private static Operator binary(BinaryOperator<NDArray> f) {
        return c -> new NDList(f.apply(c.in(0), c.in(1)));
    }

    private static boolean isInteger(DataType t) {
        return t.isInteger() || t == DataType.BOOLEAN;
    }

    /** ONNX integer division truncates toward zero; PyTorch's div would return floats. */
    private static NDList div(OpCall c) {
        NDArray a = c.in(0);
        NDArray b = c.in(1);
        if (isInteger(a.getDataType())) {
            NDArray q = a.toType(DataType.FLOAT64, false).div(b.toType(DataType.FLOAT64, false));
            return new NDList(q.toType(DataType.INT64, false).toType(a.getDataType(), false));
        }
        return new NDList(a.div(b));
    }

    /**
     * The result keeps the base's type even when the exponent's differs (allowed since opset 12). A single exponent
     * of 2 on the CPU is a product, as ONNX Runtime computes it: correctly rounded, where libtorch's pow is off by an
     * ulp for about 2% of floats (and slower). Exponents on a GPU are not read back, which would wait for the device.
     */
    private static NDList pow(OpCall c) {
        NDArray a = c.in(0);
        NDArray b = c.in(1);
        if (isInteger(a.getDataType())) {
            NDArray r = a.toType(DataType.FLOAT64, false).pow(b.toType(DataType.FLOAT64, false));
            return new NDList(r.toType(a.getDataType(), false));
        }
        boolean onCpu = Device.Type.CPU.equals(b.getDevice().getDeviceType());
        // A float exponent is read without a cast: a few microseconds, less than pow's own cost from 16 elements up.
        if (b.size() == 1 && onCpu
                && (b.getDataType() == DataType.FLOAT32 ? b.toFloatArray()[0] : NDTensors.doubles(b)[0]) == 2) {
            NDArray y = a.mul(a);
            int extra = b.getShape().dimension() - a.getShape().dimension();
            if (extra > 0) { // a [1, 1] exponent still makes the result [1, 1]-broadcast
                long[] shape = new long[extra + a.getShape().dimension()];
                Arrays.fill(shape, 1);
                System.arraycopy(a.getShape().getShape(), 0, shape, extra, a.getShape().dimension());
                y = y.reshape(new Shape(shape));
            }
            return new NDList(y);
        }
        if (b.getDataType() != a.getDataType()) {
            b = b.toType(a.getDataType(), false);
        }
        return new NDList(a.pow(b));
    }

    /** Variadic and broadcasting: the running element-wise maximum of all inputs. */
    private static NDList max(OpCall c) {
        NDArray y = c.in(0);
        for (int i = 1; i < c.inputCount(); i++) {
            y = y.maximum(c.in(i));
        }
        return new NDList(y);
    }

    private static NDList min(OpCall c) {
        NDArray y = c.in(0);
        for (int i = 1; i < c.inputCount(); i++) {
            y = y.minimum(c.in(i));
        }
        return new NDList(y);
    }

    private static NDArray hardSigmoid(NDArray x, float alpha, float beta) {
        return x.mul(alpha).add(beta).clip(0, 1);
    }

    private static NDList gelu(OpCall c) {
        NDArray x = c.in(0);
        if (c.attrString("approximate", "none").equals("tanh")) {
            NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
            return new NDList(x.mul(0.5f).mul(inner.tanh().add(1)));
        }
        if (x.getDataType() == DataType.FLOAT32) {
            // libtorch's exact gelu: one kernel forward and one backward
            return new NDList(x.getNDArrayInternal().gelu());
        }
        return new NDList(x.mul(0.5f).mul(x.div((float) Math.sqrt(2)).erf().add(1)));
    }

    /** Bounds are attributes before opset 11 and optional scalar inputs after. */
    private static NDList clip(OpCall c) {
        NDArray x = c.in(0);
        boolean integer = isInteger(x.getDataType());
        Double min = null;
        Double max = null;
        if (c.opset() < 11) {
            if (c.node().has("min")) {
                min = (double) c.attrFloat("min", 0);
            }
            if (c.node().has("max")) {
                max = (double) c.attrFloat("max", 0);
            }
        } else {
            if (c.has(1)) {
                min = c.doubles(1)[0];
            }
            if (c.has(2)) {
                max = c.doubles(2)[0];
            }
        }
        NDArray y = x;
        if (min != null) {
            y = integer ? y.maximum(min.longValue()) : y.maximum(min);
        }
        if (max != null) {
            y = integer ? y.minimum(max.longValue()) : y.minimum(max);
        }
        return new NDList(y);
    }
}
