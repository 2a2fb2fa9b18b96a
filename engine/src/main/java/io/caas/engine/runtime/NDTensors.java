package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Conversions between ONNX tensors / element types and DJL arrays. */
public final class NDTensors {

    private NDTensors() {
    }

    /** The DJL type of an ONNX element type; unsigned types wider than 8 bits have no PyTorch counterpart. */
    public static DataType toDjl(int onnxType) {
        return switch (TensorProto.DataType.forNumber(onnxType) == null ? TensorProto.DataType.UNDEFINED
                : TensorProto.DataType.forNumber(onnxType)) {
            case FLOAT -> DataType.FLOAT32;
            case DOUBLE -> DataType.FLOAT64;
            case FLOAT16 -> DataType.FLOAT16;
            case INT64 -> DataType.INT64;
            case INT32 -> DataType.INT32;
            case INT8 -> DataType.INT8;
            case UINT8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            // BFLOAT16 and INT16 are left out on purpose: DJL 0.35.1 aborts the JVM when it creates such arrays.
            default -> throw new UnsupportedOperatorException("Cast", "tensor element type "
                    + TensorProto.DataType.forNumber(onnxType) + " is not supported by the interpreter");
        };
    }

    public static int toOnnx(DataType t) {
        return switch (t) {
            case FLOAT32 -> TensorProto.DataType.FLOAT_VALUE;
            case FLOAT64 -> TensorProto.DataType.DOUBLE_VALUE;
            case FLOAT16 -> TensorProto.DataType.FLOAT16_VALUE;
            case BFLOAT16 -> TensorProto.DataType.BFLOAT16_VALUE;
            case INT64 -> TensorProto.DataType.INT64_VALUE;
            case INT32 -> TensorProto.DataType.INT32_VALUE;
            case INT16 -> TensorProto.DataType.INT16_VALUE;
            case INT8 -> TensorProto.DataType.INT8_VALUE;
            case UINT8 -> TensorProto.DataType.UINT8_VALUE;
            case BOOLEAN -> TensorProto.DataType.BOOL_VALUE;
            default -> throw new IllegalArgumentException("no ONNX type for " + t);
        };
    }

    public static NDArray toNDArray(NDManager manager, TensorProto t) {
        DataType type = toDjl(t.getDataType());
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        int n = Math.toIntExact(Tensors.elementCount(t));
        int size = Tensors.elementSize(t.getDataType());
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(n * size, 1)).order(ByteOrder.nativeOrder());
        if (!t.getRawData().isEmpty()) {
            ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            switch (size) {
                case 1 -> buf.put(raw);
                case 2 -> {
                    for (int i = 0; i < n; i++) {
                        buf.putShort(raw.getShort());
                    }
                }
                case 4 -> {
                    for (int i = 0; i < n; i++) {
                        buf.putInt(raw.getInt());
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        buf.putLong(raw.getLong());
                    }
                }
            }
        } else {
            // Typed fields: 16-bit floats and all small integers travel in int32_data.
            for (int i = 0; i < n; i++) {
                switch (type) {
                    case FLOAT32 -> buf.putFloat(t.getFloatData(i));
                    case FLOAT64 -> buf.putDouble(t.getDoubleData(i));
                    case INT64 -> buf.putLong(t.getInt64Data(i));
                    case INT32 -> buf.putInt(t.getInt32Data(i));
                    case INT16, FLOAT16, BFLOAT16 -> buf.putShort((short) t.getInt32Data(i));
                    default -> buf.put((byte) t.getInt32Data(i));
                }
            }
        }
        buf.rewind();
        if (n == 0) {
            return manager.create(new Shape(dims), type);
        }
        buf.limit(n * size);
        return manager.create(buf, new Shape(dims), type);
    }

    /** Values of a small integer tensor (shapes, axes, indices) read back to Java. */
    public static long[] longs(NDArray a) {
        if (a.getDataType() == DataType.INT64) {
            return a.toLongArray();
        }
        return a.toType(DataType.INT64, false).toLongArray();
    }

    public static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }
}
