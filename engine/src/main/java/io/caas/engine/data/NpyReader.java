package io.caas.engine.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one numpy .npy array: the magic "\x93NUMPY", a version, a little-endian header length, a Python dict
 * literal giving dtype, order and shape, then the raw values.
 */
final class NpyReader {

    /** numpy itself writes headers of a few hundred bytes; a longer one is not a real array. */
    private static final int MAX_HEADER = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {
    }

    static NumericArray read(InputStream in, String name, DatasetLimits limits) throws IOException {
        try {
            byte[] magic = readExactly(in, 8);
            if ((magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
                throw new DatasetFormatException(name + " is not a .npy array (bad magic)");
            }
            int major = magic[6];
            long headerLength;
            if (major == 1) {
                byte[] len = readExactly(in, 2);
                headerLength = (len[0] & 0xff) | ((len[1] & 0xff) << 8);
            } else if (major == 2 || major == 3) {
                byte[] len = readExactly(in, 4);
                headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            } else {
                throw new DatasetFormatException(name + " uses .npy format version " + major + ", not 1 to 3");
            }
            if (headerLength > MAX_HEADER) {
                throw new DatasetFormatException(name + " declares a " + headerLength + "-byte header; refused");
            }
            String header = new String(readExactly(in, (int) headerLength), StandardCharsets.ISO_8859_1);
            return body(in, name, header, limits);
        } catch (EOFException e) {
            throw new DatasetFormatException(name + " is truncated: it ends before the data its header declares", e);
        }
    }

    private static NumericArray body(InputStream in, String name, String header, DatasetLimits limits) throws IOException {
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeM = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeM.find()) {
            throw new DatasetFormatException(name + " has an unreadable .npy header: " + header.strip());
        }
        if (fortran.group(1).equals("True")) {
            throw new DatasetFormatException(name + " is stored in Fortran order; save it with numpy.ascontiguousarray");
        }
        String kind = descr.group(2) + descr.group(3);
        int size = switch (kind) {
            case "f4", "i4" -> 4;
            case "f8", "i8" -> 8;
            case "u1" -> 1;
            default -> throw new DatasetFormatException(name + " has dtype '" + descr.group(1) + kind
                    + "'; supported: float32, float64, uint8, int32, int64");
        };
        ByteOrder order = descr.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        long[] shape = parseShape(shapeM.group(1), name);
        long count = 1;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
        } catch (ArithmeticException e) {
            throw new DatasetFormatException(name + " declares a shape too large to hold " + Arrays.toString(shape), e);
        }
        limits.checkFloats(count, name + " (shape " + Arrays.toString(shape) + ")");
        float[] values = new float[(int) count];
        byte[] chunk = new byte[(1 << 16) / size * size];
        int done = 0;
        while (done < values.length) {
            int n = Math.min(values.length - done, chunk.length / size);
            int got = in.readNBytes(chunk, 0, n * size);
            if (got < n * size) {
                throw new DatasetFormatException(name + " is truncated: " + (done + got / size) + " of " + count
                        + " values present");
            }
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, n * size).order(order);
            for (int i = 0; i < n; i++) {
                values[done + i] = switch (kind) {
                    case "f4" -> b.getFloat();
                    case "f8" -> (float) b.getDouble();
                    case "i4" -> b.getInt();
                    case "i8" -> b.getLong();
                    default -> b.get() & 0xff;
                };
            }
            done += n;
        }
        return new NumericArray(name, shape, values, kind.equals("u1"), kind.charAt(0) != 'f');
    }

    private static long[] parseShape(String text, String name) {
        String[] parts = text.split(",");
        return Arrays.stream(parts).map(String::strip).filter(s -> !s.isEmpty()).mapToLong(s -> {
            try {
                long d = Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
                if (d < 0) {
                    throw new NumberFormatException();
                }
                return d;
            } catch (NumberFormatException e) {
                throw new DatasetFormatException(name + " has an invalid shape (" + text + ")");
            }
        }).toArray();
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new EOFException();
        }
        return b;
    }
}
