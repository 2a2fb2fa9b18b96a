package io.caas.service.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** An unlabelled npz dataset as numpy.savez writes it: one float32 array "x". */
public final class FloatNpz {

    private FloatNpz() {
    }

    /** Seeded standard Gaussian values of the given shape, samples first. */
    public static float[] gaussian(long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact))];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** x.npy (format 1.0, little-endian float32, C order) in a zip. */
    public static byte[] of(float[] values, long... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            data.putFloat(v);
        }
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + (shape.length == 1 ? "," : "")
                + "), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream npz = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(npz)) {
            zip.putNextEntry(new ZipEntry("x.npy"));
            zip.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            zip.write(header.length() & 0xff);
            zip.write(header.length() >> 8);
            zip.write(header.getBytes(StandardCharsets.US_ASCII));
            zip.write(data.array());
            zip.closeEntry();
        }
        return npz.toByteArray();
    }
}
