package io.caas.engine.compress.tensor;

/**
 * One convolution of an exported chain.
 *
 * @param weight   float32 values in ONNX order (out, in/group, kh, kw)
 * @param dims     the weight's shape
 * @param group    1, or the channel count for a depthwise stage
 * @param geometry which of the original layer's strides, pads and dilations this stage takes over
 */
record ConvStage(float[] weight, long[] dims, long group, Geometry geometry) {

    enum Geometry {
        /** 1×1, stride 1, no padding: mixes channels only. */
        POINTWISE,
        /** The original kernel size, strides, pads, dilations and auto_pad. */
        ORIGINAL,
        /** kh×1 with the original's vertical stride, dilation and top/bottom pads. */
        VERTICAL,
        /** 1×kw with the original's horizontal stride, dilation and left/right pads. */
        HORIZONTAL
    }

    static ConvStage of(Matrix weight, long[] dims, long group, Geometry geometry) {
        float[] w = new float[weight.data().length];
        for (int k = 0; k < w.length; k++) {
            w[k] = (float) weight.data()[k];
        }
        return new ConvStage(w, dims, group, geometry);
    }

    long parameters() {
        return weight.length;
    }
}
