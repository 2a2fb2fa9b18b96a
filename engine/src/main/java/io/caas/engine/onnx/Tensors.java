package io.caas.engine.onnx;

import com.google.protobuf.ByteString;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Conversions between ONNX {@link TensorProto} and Java arrays. ONNX raw_data is always little-endian. */
public final class Tensors {

    private Tensors() {
    }

    /** Bytes per element of a fixed-size data type, or -1 for strings and unknown types. */
    public static int elementSize(int dataType) {
        return switch (DataType.forNumber(dataType) == null ? DataType.UNDEFINED : DataType.forNumber(dataType)) {
            case FLOAT, INT32, UINT32 -> 4;
            case DOUBLE, INT64, UINT64, COMPLEX64 -> 8;
            case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
            case COMPLEX128 -> 16;
            default -> -1;
        };
    }

    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static long elementCount(List<Long> dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * How many elements the tensor actually holds, or -1 where that cannot be told without decoding (strings, or
     * an unknown type). Used to refuse tensors whose declared shape does not match their data.
     */
    public static long storedElementCount(TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            int size = elementSize(t.getDataType());
            return size <= 0 ? -1 : t.getRawData().size() / size;
        }
        return switch (DataType.forNumber(t.getDataType()) == null ? DataType.UNDEFINED : DataType.forNumber(t.getDataType())) {
            case FLOAT -> t.getFloatDataCount();
            case COMPLEX64 -> t.getFloatDataCount() / 2;
            case DOUBLE -> t.getDoubleDataCount();
            case COMPLEX128 -> t.getDoubleDataCount() / 2;
            case INT64 -> t.getInt64DataCount();
            case UINT32, UINT64 -> t.getUint64DataCount();
            case INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16 -> t.getInt32DataCount();
            case STRING -> t.getStringDataCount();
            default -> -1;
        };
    }

    public static boolean isFloating(TensorProto t) {
        int type = t.getDataType();
        return type == DataType.FLOAT_VALUE || type == DataType.DOUBLE_VALUE
                || type == DataType.FLOAT16_VALUE || type == DataType.BFLOAT16_VALUE;
    }

    /** Decodes a FLOAT or DOUBLE tensor into floats. */
    public static float[] toFloats(TensorProto t) {
        int n = Math.toIntExact(elementCount(t));
        float[] out = new float[n];
        if (t.getDataType() == DataType.FLOAT_VALUE) {
            if (!t.getRawData().isEmpty()) {
                t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = t.getFloatData(i);
                }
            }
        } else if (t.getDataType() == DataType.DOUBLE_VALUE) {
            if (!t.getRawData().isEmpty()) {
                var buf = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) buf.get(i);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) t.getDoubleData(i);
                }
            }
        } else {
            throw new OnnxFormatException("tensor '" + t.getName() + "' is "
                    + DataType.forNumber(t.getDataType()) + ", expected FLOAT or DOUBLE");
        }
        return out;
    }

    /** Decodes an INT64 or INT32 tensor (shapes, axes, indices) into longs. */
    public static long[] toLongs(TensorProto t) {
        int n = Math.toIntExact(elementCount(t));
        long[] out = new long[n];
        if (t.getDataType() == DataType.INT64_VALUE) {
            if (!t.getRawData().isEmpty()) {
                t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = t.getInt64Data(i);
                }
            }
        } else if (t.getDataType() == DataType.INT32_VALUE) {
            if (!t.getRawData().isEmpty()) {
                var buf = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = buf.get(i);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    out[i] = t.getInt32Data(i);
                }
            }
        } else {
            throw new OnnxFormatException("tensor '" + t.getName() + "' is "
                    + DataType.forNumber(t.getDataType()) + ", expected INT64 or INT32");
        }
        return out;
    }

    /** Encodes floats as a FLOAT tensor in raw_data, the compact form every runtime reads. */
    public static TensorProto floatTensor(String name, float[] data, long... dims) {
        if (elementCount(java.util.Arrays.stream(dims).boxed().toList()) != data.length) {
            throw new IllegalArgumentException("dims " + java.util.Arrays.toString(dims) + " do not hold "
                    + data.length + " elements");
        }
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(buf.array()));
        for (long d : dims) {
            b.addDims(d);
        }
        return b.build();
    }

    /** Encodes longs as an INT64 tensor, as shape inputs of Reshape and friends need. */
    public static TensorProto int64Tensor(String name, long[] data, long... dims) {
        ByteBuffer buf = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(data);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(DataType.INT64_VALUE)
                .setRawData(ByteString.copyFrom(buf.array()));
        for (long d : dims) {
            b.addDims(d);
        }
        return b.build();
    }
}
