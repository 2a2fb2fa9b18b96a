package io.caas.engine.compress;

import java.util.List;
import java.util.Locale;
import java.util.function.DoubleToLongFunction;

/**
 * A whole-model parameter budget ({@link RankBudget#TARGET_PARAMETERS}) met by one per-layer ratio shared by every
 * layer a method decomposes: the largest ratio whose model fits. For methods whose ranks follow a ratio rule
 * (tucker, cp, tt, bilinear) and whose exported size follows from the ranks alone, so that the size at a ratio is
 * counted without fitting anything.
 *
 * <p>A layer counts at its size at the ratio, or at its own size where that would not be smaller: a method under a
 * budget leaves such a layer as it is. Ratio 0 means every layer at its smallest ranks, so the size there is the
 * least the method can reach.
 */
public final class RatioBudget {

    /** Bisection steps over [0, 1]: the ratio to within 2⁻⁴⁰, far below a rank step of any real layer. */
    private static final int STEPS = 40;

    /**
     * One layer the method would decompose.
     *
     * @param parameters  its parameters now
     * @param sizeAtRatio its exported parameters at a ratio in [0, 1], non-decreasing in the ratio (rank floors
     *                    included, so at 0 its smallest ranks)
     */
    public record Layer(long parameters, DoubleToLongFunction sizeAtRatio) {

        long sizeAt(double ratio) {
            return Math.min(sizeAtRatio.applyAsLong(ratio), parameters);
        }
    }

    private final String method;
    private final long untouched;
    private final List<Layer> layers;

    /**
     * @param method    the method's name, for the refusal
     * @param untouched the model's parameters outside the layers (biases, other weights, layers left alone)
     * @param layers    the layers the method would decompose
     */
    public RatioBudget(String method, long untouched, List<Layer> layers) {
        this.method = method;
        this.untouched = untouched;
        this.layers = List.copyOf(layers);
    }

    /** The whole model's parameters with every layer at this ratio. */
    public long modelSizeAt(double ratio) {
        long total = untouched;
        for (Layer layer : layers) {
            total += layer.sizeAt(ratio);
        }
        return total;
    }

    /** The least the method can make of the model: every layer at its smallest ranks. */
    public long floor() {
        return modelSizeAt(0);
    }

    /**
     * The largest ratio in [0, 1] whose model is at most {@code target} parameters.
     *
     * @throws InvalidParametersException where even the smallest ranks do not fit, stating the least reachable
     */
    public double largestRatioWithin(long target) {
        requireReachable(target);
        if (modelSizeAt(1) <= target) {
            return 1;
        }
        double fits = 0;
        double tooLarge = 1;
        for (int step = 0; step < STEPS; step++) {
            double mid = (fits + tooLarge) / 2;
            if (modelSizeAt(mid) <= target) {
                fits = mid;
            } else {
                tooLarge = mid;
            }
        }
        return fits;
    }

    /** @throws InvalidParametersException where {@code target} is below {@link #floor()} */
    public void requireReachable(long target) {
        long floor = floor();
        if (target < floor) {
            throw new InvalidParametersException(List.of(String.format(Locale.ROOT,
                    "%s %d is below the smallest model %s can make here: %d parameters with the smallest ranks in "
                            + "each of the %d layers it decomposes, %d of them in what it leaves alone (biases, "
                            + "skipped layers, other weights)", RankBudget.TARGET_PARAMETERS, target, method, floor,
                    layers.size(), untouched)));
        }
    }
}
