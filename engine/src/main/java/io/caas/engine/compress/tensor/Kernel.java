package io.caas.engine.compress.tensor;

/**
 * A convolution kernel W[o][i][h][w] in double precision, in ONNX's row-major order.
 */
record Kernel(int out, int in, int kh, int kw, double[] values) {

    Kernel {
        if (values.length != (long) out * in * kh * kw) {
            throw new IllegalArgumentException("kernel of " + values.length + " values is not " + out + "x" + in
                    + "x" + kh + "x" + kw);
        }
    }

    static Kernel of(float[] weight, long[] dims) {
        double[] d = new double[weight.length];
        for (int k = 0; k < d.length; k++) {
            d[k] = weight[k];
        }
        return new Kernel(Math.toIntExact(dims[0]), Math.toIntExact(dims[1]), Math.toIntExact(dims[2]),
                Math.toIntExact(dims[3]), d);
    }

    int spatial() {
        return kh * kw;
    }

    KernelShape shape() {
        return new KernelShape(out, in, kh, kw);
    }

    long parameters() {
        return values.length;
    }

    double get(int o, int i, int h, int w) {
        return values[((o * in + i) * kh + h) * kw + w];
    }

    double squaredNorm() {
        double s = 0;
        for (double v : values) {
            s += v * v;
        }
        return s;
    }

    /** ‖W − other‖ / ‖W‖ (0 for an all-zero kernel matched exactly). */
    double relativeError(Kernel other) {
        double diff = 0;
        for (int k = 0; k < values.length; k++) {
            double d = values[k] - other.values[k];
            diff += d * d;
        }
        double norm = squaredNorm();
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** Mode-0 unfolding: out × (in·kh·kw), which is the stored layout itself. */
    Matrix outUnfolding() {
        return new Matrix(out, in * spatial(), values);
    }

    /** Mode-1 unfolding: in × (out·kh·kw). */
    Matrix inUnfolding() {
        int s = spatial();
        double[] m = new double[values.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                System.arraycopy(values, (o * in + i) * s, m, i * out * s + o * s, s);
            }
        }
        return new Matrix(in, out * s, m);
    }
}
