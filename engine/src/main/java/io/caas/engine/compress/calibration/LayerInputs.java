package io.caas.engine.compress.calibration;

/**
 * Second moments of one layer's inputs over calibration samples, each input a row x (a sample, a token, or one
 * conv patch flattened as the kernel is: channel, then kernel rows and columns).
 *
 * @param width the length of x: the layer's input side (in, or c·kh·kw for a conv)
 * @param gram  X'ᵀX', width × width, row-major, X' the inputs the layer sees in the model being compressed
 * @param cross X'ᵀX with X the same layer's inputs in the original model on the same samples; null when the two
 *              are the same model (then it equals gram)
 * @param rows  how many rows x were summed
 */
public record LayerInputs(int width, double[] gram, double[] cross, long rows) {

    public LayerInputs {
        if (gram.length != (long) width * width || (cross != null && cross.length != gram.length)) {
            throw new IllegalArgumentException("moments of " + gram.length + " values for width " + width);
        }
    }

    /** Inputs that are the original model's own: X'ᵀX' = XᵀX. */
    public static LayerInputs of(int width, double[] gram, long rows) {
        return new LayerInputs(width, gram, null, rows);
    }
}
