package io.caas.engine.compress.tensor;

import java.util.List;

/**
 * A convolution kernel's sides, out × in × kh × kw: enough to count what a decomposition at given ranks holds,
 * without the weights (for a parameter budget checked before any fit).
 */
record KernelShape(int out, int in, int kh, int kw) {

    static KernelShape of(List<Long> weightShape) {
        return new KernelShape(Math.toIntExact(weightShape.get(0)), Math.toIntExact(weightShape.get(1)),
                Math.toIntExact(weightShape.get(2)), Math.toIntExact(weightShape.get(3)));
    }

    int spatial() {
        return kh * kw;
    }

    long parameters() {
        return (long) out * in * kh * kw;
    }
}
