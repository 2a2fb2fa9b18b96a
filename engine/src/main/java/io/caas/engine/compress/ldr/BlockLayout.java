package io.caas.engine.compress.ldr;

import java.util.Locale;

/**
 * How a non-square in × out weight is covered by square n×n structured blocks, as the paper does for rectangular
 * layers: n is the shorter side, the longer side is zero-padded up to a multiple of n, and the weight becomes a
 * grid of p (input) × q (output) blocks, each with its own generators. One of p and q is 1.
 */
public record BlockLayout(int in, int out, int n, int p, int q) {

    public static BlockLayout of(int in, int out) {
        int n = Math.min(in, out);
        return new BlockLayout(in, out, n, (in + n - 1) / n, (out + n - 1) / n);
    }

    public int paddedIn() {
        return p * n;
    }

    public int paddedOut() {
        return q * n;
    }

    public boolean square() {
        return in == out;
    }

    /** Block (a, b) of the zero-padded W (in × out, row-major), as a row-major n×n matrix. */
    public double[] block(double[] w, int a, int b) {
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) {
            int row = a * n + i;
            if (row >= in) {
                break;
            }
            for (int j = 0; j < n; j++) {
                int col = b * n + j;
                if (col < out) {
                    m[i * n + j] = w[row * out + col];
                }
            }
        }
        return m;
    }

    /** Elements of the generators the layer keeps (bias excluded). */
    public long parameters(Structure structure, int rank) {
        long perBlock = structure == Structure.CIRCULANT ? n : 2L * rank * n;
        return (long) p * q * perBlock;
    }

    /** What the layer note says about the blocks. */
    public String describe() {
        if (square()) {
            return String.format(Locale.ROOT, "one %dx%d block", n, n);
        }
        return String.format(Locale.ROOT, "%dx%d padded to %dx%d, %d block%s of %dx%d", in, out, paddedIn(),
                paddedOut(), p * q, p * q == 1 ? "" : "s", n, n);
    }
}
