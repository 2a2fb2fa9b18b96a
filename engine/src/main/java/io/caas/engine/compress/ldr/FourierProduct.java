package io.caas.engine.compress.ldr;

import static io.caas.engine.compress.ldr.LayerNodes.attr;

import java.util.List;

/**
 * y = x·M for one structured layer, computed with the ONNX DFT operator from the stored generators alone.
 *
 * <p>With rows of M indexing inputs, x·Z₁(g) is the circular cross-correlation of x with g, whose spectrum is
 * X·conj(G); and u·Z₋₁(h) is the first n values of the length-2n circular cross-correlation of u (zero-padded) with
 * [h, −h], which turns the −1 wrap-around into an ordinary one. So a Toeplitz-like block Σᵢ Z₁(gᵢ)·Z₋₁(hᵢ) costs a
 * forward transform of x, then per term a product of spectra, an inverse, a length-2n transform and a second
 * product; the terms and the input blocks are summed in the frequency domain and transformed back once per output
 * block. A circulant block is the first stage alone.
 *
 * <p>Complex numbers are ONNX's [..., 2] (real, imaginary) pairs; a product with conj(G) is written out in real
 * and imaginary parts with broadcast Mul/Add/Sub (a 2×2 matrix per frequency applied by Mul and ReduceSum was 4×
 * slower in the interpreter: the sum over a strided axis). The generator spectra depend on initializers only, so
 * ONNX Runtime computes them once per session.
 */
final class FourierProduct {

    private final LayerNodes nodes;
    private final BlockLayout layout;
    private final int r;
    private final long opset;
    private final int n;
    private final int p;
    private final int q;

    FourierProduct(LayerNodes nodes, BlockLayout layout, int rank, long opset) {
        this.nodes = nodes;
        this.layout = layout;
        this.r = rank;
        this.opset = opset;
        this.n = layout.n();
        this.p = layout.p();
        this.q = layout.q();
    }

    /**
     * Writes y [N, out] = x [N, in] · M to {@code output}.
     *
     * @param g the stored first generators [p, q, r, n], each reversed (as {@link StructuredExport} stores them)
     * @param h the stored second generators, or null for circulant blocks
     */
    void apply(String x, String g, String h, String output) {
        if (layout.paddedIn() != layout.in()) {
            x = nodes.op("Pad", List.of(x, nodes.ints("pads", 0, 0, 0, layout.paddedIn() - layout.in())), "padded");
        }
        String blocks = nodes.reshape(x, -1, p, 1, 1, n, 1);
        String spectrum = dft(blocks, 4, false);
        String y;
        if (h == null) {
            // [N, p, 1, 1, n, 2] · [p, q, 1, n, 2], summed over input blocks: [N, q, n, 2]
            String summed = product(spectrum, spectrum(natural(g), n), 1, 3);
            y = nodes.slice(dft(summed, 2, true), 3, 0, 1);
        } else {
            String u = product(spectrum, spectrum(natural(g), n));
            u = nodes.slice(dft(u, 4, true), 5, 0, 1);
            u = nodes.op("Pad", List.of(u, nodes.ints("pads", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n, 0)), "padded");
            String hNatural = natural(h);
            String wrapped = nodes.op("Concat", List.of(hNatural, nodes.op("Neg", List.of(hNatural), "negated")),
                    "wrapped", attr("axis", 3));
            // [N, p, q, r, 2n, 2] · [p, q, r, 2n, 2], summed over input blocks and terms: [N, q, 2n, 2]
            String summed = product(dft(u, 4, false), spectrum(wrapped, 2L * n), 1, 3);
            y = nodes.slice(nodes.slice(dft(summed, 2, true), 3, 0, 1), 2, 0, n);
        }
        if (layout.paddedOut() == layout.out()) {
            nodes.writing(output, "Reshape", List.of(y, nodes.ints("shape", -1, layout.out())));
        } else {
            y = nodes.reshape(y, -1, layout.paddedOut());
            nodes.writing(output, "Slice", List.of(y, nodes.ints("start", 0), nodes.ints("end", layout.out()),
                    nodes.ints("axis", 1)));
        }
    }

    /**
     * X·conj(G) for spectra X [N, p, 1|q, 1|r, len, 2] and G [p, q, r, len, 2], then summed over {@code axes}
     * (none, or the input blocks and terms).
     */
    private String product(String x, String g, long... axes) {
        String xr = nodes.slice(x, 5, 0, 1);
        String xi = nodes.slice(x, 5, 1, 2);
        String gr = nodes.slice(g, 4, 0, 1);
        String gi = nodes.slice(g, 4, 1, 2);
        // (xr + i·xi)(gr − i·gi) = xr·gr + xi·gi + i·(xi·gr − xr·gi)
        String re = nodes.op("Add", List.of(mul(xr, gr), mul(xi, gi)), "product_re");
        String im = nodes.op("Sub", List.of(mul(xi, gr), mul(xr, gi)), "product_im");
        String p = nodes.op("Concat", List.of(re, im), "product", attr("axis", 5));
        return axes.length == 0 ? p
                : nodes.op("ReduceSum", List.of(p, nodes.ints("axes", axes)), "summed", attr("keepdims", 0));
    }

    private String mul(String a, String b) {
        return nodes.op("Mul", List.of(a, b), "term");
    }

    /** DFT of real sequences s [p, q, r, len]: [p, q, r, len, 2]. */
    private String spectrum(String sequences, long len) {
        return dft(nodes.reshape(sequences, p, q, r, len, 1), 3, false);
    }

    /** The generators in their own order (they are stored reversed for the dense rebuild). */
    private String natural(String stored) {
        return nodes.op("Slice", List.of(stored, nodes.ints("start", -1), nodes.ints("end", -(n + 1L)),
                nodes.ints("axis", 3), nodes.ints("step", -1)), "natural");
    }

    private String dft(String x, long axis, boolean inverse) {
        if (opset >= DftOpset.AXIS_AS_INPUT_SINCE) {
            return nodes.op("DFT", List.of(x, "", nodes.scalar("dft_axis", axis)), "spectrum",
                    attr("inverse", inverse ? 1 : 0));
        }
        return nodes.op("DFT", List.of(x), "spectrum", attr("axis", axis), attr("inverse", inverse ? 1 : 0));
    }
}
