package io.caas.engine.compress.ldr;

/**
 * The generators of one n×n structured block, M = Σᵢ Z₁(gᵢ)·Z₋₁(hᵢ) (Toeplitz-like) or M = Z₁(g₀) (circulant,
 * {@code h} null), where Z_f(v) is the f-circulant matrix whose first column is v: Z_f(v)[a][b] = v[a−b] for
 * a ≥ b and f·v[n+a−b] above the diagonal. Rows of M index the layer's inputs, columns its outputs (y = x·M).
 *
 * @param g r generators of length n (the first factor of each term)
 * @param h r generators of length n (the second factor), or null for a circulant block
 */
public record Generators(double[][] g, double[][] h) {

    public int n() {
        return g[0].length;
    }

    public int rank() {
        return g.length;
    }

    public boolean circulant() {
        return h == null;
    }

    /** The block as a dense row-major n×n matrix (for fitting errors and tests; the model never holds it). */
    public double[] dense() {
        int n = n();
        if (circulant()) {
            return fCirculant(g[0], 1);
        }
        double[] m = new double[n * n];
        for (int i = 0; i < rank(); i++) {
            double[] a = fCirculant(g[i], 1);
            double[] b = fCirculant(h[i], -1);
            for (int r = 0; r < n; r++) {
                for (int k = 0; k < n; k++) {
                    double ark = a[r * n + k];
                    if (ark != 0) {
                        for (int c = 0; c < n; c++) {
                            m[r * n + c] += ark * b[k * n + c];
                        }
                    }
                }
            }
        }
        return m;
    }

    /** Z_f(v), row-major. */
    public static double[] fCirculant(double[] v, double f) {
        int n = v.length;
        double[] m = new double[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                m[a * n + b] = a >= b ? v[a - b] : f * v[n + a - b];
            }
        }
        return m;
    }
}
