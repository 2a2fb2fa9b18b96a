package io.caas.engine.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads the IDX format of MNIST and its kin: two zero bytes, a type code, the number of dimensions, then each
 * dimension as a big-endian int32, then the values big-endian.
 */
final class IdxReader {

    private IdxReader() {
    }

    static NumericArray read(InputStream raw, String name, DatasetLimits limits) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        try {
            int zero = in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int ndims = in.readUnsignedByte();
            if (zero != 0 || elementBytes(type) < 0) {
                throw new DatasetFormatException(name + " is not an IDX file (bad magic number)");
            }
            if (ndims == 0 || ndims > 8) {
                throw new DatasetFormatException(name + " declares " + ndims + " dimensions; expected 1 to 8");
            }
            long[] shape = new long[ndims];
            long count = 1;
            for (int i = 0; i < ndims; i++) {
                shape[i] = in.readInt() & 0xffffffffL;
                count = Math.multiplyExact(count, shape[i]);
            }
            limits.checkFloats(count, name + " (shape " + Arrays.toString(shape) + ")");
            float[] values = new float[(int) count];
            readValues(in, type, values);
            return new NumericArray(name, shape, values, type == 0x08, type != 0x0D && type != 0x0E);
        } catch (EOFException e) {
            throw new DatasetFormatException(name + " is truncated: it ends before the data its header declares", e);
        } catch (ArithmeticException e) {
            throw new DatasetFormatException(name + " declares a shape too large to hold", e);
        }
    }

    static boolean looksLikeIdx(byte[] head) {
        return head.length >= 4 && head[0] == 0 && head[1] == 0 && elementBytes(head[2] & 0xff) > 0
                && head[3] >= 1 && head[3] <= 8;
    }

    private static int elementBytes(int type) {
        return switch (type) {
            case 0x08, 0x09 -> 1;
            case 0x0B -> 2;
            case 0x0C, 0x0D -> 4;
            case 0x0E -> 8;
            default -> -1;
        };
    }

    private static void readValues(DataInputStream in, int type, float[] out) throws IOException {
        int size = elementBytes(type);
        byte[] buf = new byte[1 << 16];
        int done = 0;
        while (done < out.length) {
            int n = Math.min(out.length - done, buf.length / size);
            in.readFully(buf, 0, n * size);
            for (int i = 0; i < n; i++) {
                int p = i * size;
                out[done + i] = switch (type) {
                    case 0x08 -> buf[p] & 0xff;
                    case 0x09 -> buf[p];
                    case 0x0B -> (short) (((buf[p] & 0xff) << 8) | (buf[p + 1] & 0xff));
                    case 0x0C -> intAt(buf, p);
                    case 0x0D -> Float.intBitsToFloat(intAt(buf, p));
                    default -> (float) Double.longBitsToDouble(((long) intAt(buf, p) << 32) | (intAt(buf, p + 4) & 0xffffffffL));
                };
            }
            done += n;
        }
    }

    private static int intAt(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }
}
