package io.caas.engine.compress.ldr;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The whole model's parameter count as a function of one displacement rank r shared by every candidate layer, and
 * the largest r that stays within a budget. A layer whose blocks at r would not be smaller than its dense weight
 * stays dense, as ldr leaves it, so the count never falls as r grows.
 *
 * @param parameters the model's parameters now
 * @param candidates the layers ldr may structure: their block layouts and their dense weights' sizes
 */
record LdrBudget(long parameters, List<Candidate> candidates) {

    /** One layer ldr may replace. */
    record Candidate(BlockLayout layout, long denseParameters) {

        long at(int rank) {
            return Math.min(layout.parameters(Structure.TOEPLITZ_LIKE, rank), denseParameters);
        }

        /** Below this rank the blocks are smaller than the dense weight. */
        boolean shrinksAt(int rank) {
            return layout.parameters(Structure.TOEPLITZ_LIKE, rank) < denseParameters;
        }
    }

    long at(int rank) {
        long total = parameters;
        for (Candidate c : candidates) {
            total += c.at(rank) - c.denseParameters();
        }
        return total;
    }

    /** The model with circulant blocks wherever they shrink a layer: smaller than any displacement rank. */
    long circulant() {
        long total = parameters;
        for (Candidate c : candidates) {
            total += Math.min(c.layout().parameters(Structure.CIRCULANT, 1), c.denseParameters())
                    - c.denseParameters();
        }
        return total;
    }

    /**
     * The largest displacement rank at which the model holds at most {@code target} parameters and some layer is
     * still structured, or 0 when even rank 1 is over it.
     */
    int largestRankWithin(long target) {
        int rank = 0;
        for (int next = 1; shrinksSomewhereAt(next) && at(next) <= target; next++) {
            rank = next;
        }
        return rank;
    }

    private boolean shrinksSomewhereAt(int rank) {
        return candidates.stream().anyMatch(c -> c.shrinksAt(rank));
    }

    /** The candidates of a model as its summary shows them: the dense layers {@code selected} keeps. */
    static LdrBudget of(ModelSummary model, Predicate<WeightedLayer> selected) {
        List<Candidate> candidates = model.layers().stream()
                .filter(l -> l.kind() == LayerKind.DENSE && selected.test(l))
                .filter(l -> Math.min(l.matrixShape()[0], l.matrixShape()[1]) >= 2)
                .map(l -> new Candidate(BlockLayout.of(Math.toIntExact(l.matrixShape()[0]),
                        Math.toIntExact(l.matrixShape()[1])), l.parameters()))
                .toList();
        return new LdrBudget(model.parameters(), candidates);
    }

    String unreachable(long target) {
        return String.format(Locale.ROOT, "targetParameters %d is below the smallest model ldr can make here with "
                + "toeplitz-like blocks: %d parameters at displacement rank 1 (structure circulant would give %d)",
                target, at(1), circulant());
    }
}
