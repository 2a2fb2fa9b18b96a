package io.caas.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RankBudgetTest {

    /** σᵢ/σ₁ = 1, 0.5, 0.25, …: a fast-falling spectrum. */
    private static double[] falling(int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 10 * Math.pow(0.5, i);
        }
        return s;
    }

    /** σᵢ/σ₁ = 1, 0.95, 0.9, …: a flat one. */
    private static double[] flat(int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 3 * (1 - 0.05 * i);
        }
        return s;
    }

    @Test
    void theCommonCutOffTakesMoreFromTheLayerWhoseSpectrumFallsFast() {
        List<RankBudget.Layer> layers = List.of(new RankBudget.Layer(falling(16), 100, 100, 16),
                new RankBudget.Layer(flat(16), 100, 100, 16));
        // τ = 0.125 keeps four of the falling layer (1, ½, ¼, ⅛) and all of the flat one (its least is 0.25)
        assertThat(RankBudget.allocate(layers, 20 * 200, 1)).containsExactly(4, 16);
        // one less: τ rises to 0.25, the falling layer gives up one
        assertThat(RankBudget.allocate(layers, 20 * 200 - 1, 1)).containsExactly(3, 16);
        // less again: τ = 0.3, the falling layer halves, the flat one gives up one
        assertThat(RankBudget.allocate(layers, 19 * 200 - 1, 1)).containsExactly(2, 15);
    }

    @Test
    void theBudgetIsFilledAsFarAsTheCutOffAllows() {
        List<RankBudget.Layer> layers = List.of(new RankBudget.Layer(flat(20), 64, 32, 20),
                new RankBudget.Layer(flat(20), 32, 64, 20), new RankBudget.Layer(falling(8), 50, 10, 8));
        int[] previous = new int[3];
        for (long budget = 500; budget <= 6000; budget += 250) {
            int[] ranks = RankBudget.allocate(layers, budget, 1);
            assertThat(RankBudget.cost(layers, ranks)).as("budget %d", budget).isLessThanOrEqualTo(budget);
            for (int i = 0; i < ranks.length; i++) {
                assertThat(ranks[i]).as("budget %d, layer %d", budget, i).isGreaterThanOrEqualTo(previous[i]);
            }
            previous = ranks;
            // a budget equal to what an allocation costs is met exactly by the same ranks
            assertThat(RankBudget.allocate(layers, RankBudget.cost(layers, ranks), 1)).containsExactly(ranks);
        }
    }

    /**
     * Whitened spectra: a large σ₁ (the inputs' mean) in one layer must not make it give up the most. Equal relative
     * error keeps each layer's dropped energy share under the same ε, the lowest that fits.
     */
    @Test
    void byRelativeErrorEveryLayerDropsTheSameShareOfItsEnergy() {
        double[] meanDominated = flat(16);
        meanDominated[0] = 30; // σ₁ ten times the rest: τ·σ₁ would cut this layer to rank 1
        List<RankBudget.Layer> layers = List.of(new RankBudget.Layer(meanDominated, 100, 100, 16),
                new RankBudget.Layer(flat(16), 100, 100, 16));
        long budget = 16 * 200;
        int[] tau = RankBudget.allocate(layers, budget, 1);
        int[] error = RankBudget.allocateByRelativeError(layers, budget, 1);
        assertThat(RankBudget.cost(layers, error)).isLessThanOrEqualTo(budget);
        assertThat(tau[0]).as("the shared cut-off empties the mean-dominated layer").isLessThan(error[0]);
        double[] share = {dropped(meanDominated, error[0]), dropped(flat(16), error[1])};
        // the first keeps fewer directions for the same error: its energy sits in σ₁
        assertThat(error[0]).isLessThan(error[1]);
        // the lowest ε that fits: one more direction in whichever layer dropped the most would not fit
        int worse = share[0] >= share[1] ? 0 : 1;
        int[] more = error.clone();
        more[worse]++;
        assertThat(RankBudget.cost(layers, more)).isGreaterThan(budget);
        // more budget, no layer loses rank
        int[] larger = RankBudget.allocateByRelativeError(layers, budget + 2000, 1);
        assertThat(larger[0]).isGreaterThanOrEqualTo(error[0]);
        assertThat(larger[1]).isGreaterThanOrEqualTo(error[1]);
    }

    private static double dropped(double[] sigma, int rank) {
        double all = 0;
        double tail = 0;
        for (int i = 0; i < sigma.length; i++) {
            all += sigma[i] * sigma[i];
            if (i >= rank) {
                tail += sigma[i] * sigma[i];
            }
        }
        return tail / all;
    }

    @Test
    void aLayerCostsNoMoreThanItsDenseWeightAndCapsAndMinRankHold() {
        RankBudget.Layer skinny = new RankBudget.Layer(flat(4), 4, 400, 4); // factors cost ≥ dense from rank 4
        assertThat(skinny.cost(4)).isEqualTo(1600);
        assertThat(skinny.cost(2)).isEqualTo(808);
        List<RankBudget.Layer> layers = List.of(new RankBudget.Layer(falling(10), 30, 30, 6),
                new RankBudget.Layer(falling(10), 30, 30, 10));
        assertThat(RankBudget.allocate(layers, 1_000_000, 1)).containsExactly(6, 10);
        assertThat(RankBudget.allocate(layers, 0, 2)).containsExactly(2, 2);
        assertThat(RankBudget.floor(layers, 2)).isEqualTo(2 * 2 * 60);
        assertThat(RankBudget.floorOfShapes(List.of(new long[] {30, 30}, new long[] {4, 400}), 4))
                .isEqualTo(4 * 60 + 1600);
    }
}
