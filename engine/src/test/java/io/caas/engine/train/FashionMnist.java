package io.caas.engine.train;

import io.caas.engine.TestData;
import io.caas.engine.data.Dataset;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Reads the first samples of Fashion-MNIST's gzipped IDX files, pixels scaled to [0, 1]. */
public final class FashionMnist {

    private static final String DIR = "root/usr/share/datasets/fashion-mnist/";

    private FashionMnist() {
    }

    /** @param split "train" or "t10k" */
    static Dataset load(String split, int limit, boolean withLabels) throws IOException {
        return load(TestData.require(DIR + split + "-images-idx3-ubyte.gz").getParent(), split, limit, withLabels);
    }

    /** The same from a folder holding the four original .gz files, for tools run outside the tests. */
    public static Dataset load(Path dir, String split, int limit, boolean withLabels) throws IOException {
        float[] pixels;
        int n;
        try (DataInputStream in = open(dir.resolve(split + "-images-idx3-ubyte.gz"))) {
            if (in.readInt() != 0x803) {
                throw new IOException("not an IDX image file");
            }
            n = Math.min(limit, in.readInt());
            int rows = in.readInt();
            int cols = in.readInt();
            byte[] raw = new byte[n * rows * cols];
            in.readFully(raw);
            pixels = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                pixels[i] = (raw[i] & 0xff) / 255f;
            }
        }
        int[] labels = null;
        if (withLabels) {
            try (DataInputStream in = open(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
                if (in.readInt() != 0x801) {
                    throw new IOException("not an IDX label file");
                }
                in.readInt();
                byte[] raw = new byte[n];
                in.readFully(raw);
                labels = new int[n];
                for (int i = 0; i < n; i++) {
                    labels[i] = raw[i];
                }
            }
        }
        return new Dataset("fashion-mnist-" + split, new long[] {1, 28, 28}, pixels, labels, withLabels ? 10 : 0);
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw)));
    }
}
