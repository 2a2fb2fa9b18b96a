package io.caas.service.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.eval.LatencyStats;
import io.caas.engine.eval.PairedLatency;
import org.junit.jupiter.api.Test;

class SpeedVerdictTest {

    private static PairedLatency paired(int batch, double ratio, boolean disagree) {
        return paired(batch, ratio, disagree, 1.2);
    }

    /** @param originalSpread the original's p95 over its p50 */
    private static PairedLatency paired(int batch, double ratio, boolean disagree, double originalSpread) {
        LatencyStats original = new LatencyStats(batch, false, 30, 1.0, originalSpread, 1.05);
        LatencyStats compressed = new LatencyStats(batch, false, 30, ratio, ratio * 1.2, ratio * 1.05);
        return new PairedLatency(batch, original, compressed, 10, 3, ratio, ratio * 0.98, ratio * 1.02, disagree);
    }

    @Test
    void singleRunsThatVariedAreSaidWithTheirSpreadAndThePairedRatioStaysTheFigure() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 0.5, false), paired(32, 0.8, false, 10.0));

        assertThat(speed.slower()).isFalse();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 2.00x faster at batch 1 and 1.25x faster at "
                + "batch 32 (median of 10 paired rounds at each batch size). Single runs varied (the original's p95 "
                + "is 10.0x its p50 at batch 32): the machine was busy with other work, so the p50 and p95 figures "
                + "say less than usual; the paired ratios, whose rounds shared the load, are the comparison to "
                + "trust.");
    }

    @Test
    void aCompressedModelSlowerAtOneBatchSizeIsCalledSlowerAndThatComesFirst() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 1 / 1.3, false), paired(32, 1.12, false));

        assertThat(speed.slower()).isTrue();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 1.12x slower at batch 32 and 1.30x faster at "
                + "batch 1 (median of 10 paired rounds at each batch size).");
    }

    @Test
    void fasterEverywhereIsNotSlowerAndRoundsThatDisagreeAreSaid() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 0.5, true), paired(32, 0.8, false));

        assertThat(speed.slower()).isFalse();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 2.00x faster at batch 1 and 1.25x faster at "
                + "batch 32 (median of 10 paired rounds at each batch size). The rounds disagree by more than 10 % at "
                + "batch 1, so that figure is uncertain.");
    }

    @Test
    void aFactorWithinOnePercentKeepsThreeDecimalsAndOneBatchSizeIsSaidOnce() {
        JobReport.Speed speed = JobReport.Speed.of(paired(1, 1.004, false), paired(1, 1.004, false));

        assertThat(speed.slower()).isTrue();
        assertThat(speed.verdict()).isEqualTo("The compressed model is 1.004x slower at batch 1 (median of 10 paired "
                + "rounds).");
    }

    @Test
    void aModelWithTheOriginalsGraphIsNotCalledSlowerAndTheRatiosAreCalledNoise() {
        JobReport.Speed speed = JobReport.Speed.unchanged(paired(1, 0.97, false), paired(32, 1.03, false));

        assertThat(speed.slower()).isFalse();
        assertThat(speed.batchN().medianRatio()).isEqualTo(1.03);
        assertThat(speed.verdict()).isEqualTo("The compressed model has the original's graph (the same operators on "
                + "weights of the same shapes: every layer was kept dense), so it runs as fast as the original; the 10 "
                + "paired rounds measured it 1.03x slower at batch 32 and 1.03x faster at batch 1, which is the "
                + "measurement's noise.");
    }

    @Test
    void theSameGraphIsTheSameOperatorsOnWeightsOfTheSameShapesWhateverTheirValues() {
        io.caas.engine.onnx.proto.Onnx.ModelProto mlp = io.caas.engine.testing.OnnxModelBuilder.gemmMlp(1, 8, 6, 2);
        io.caas.engine.onnx.proto.Onnx.ModelProto.Builder retrained = mlp.toBuilder();
        var w0 = retrained.getGraph().getInitializer(0);
        float[] values = io.caas.engine.onnx.Tensors.toFloats(w0);
        values[0] += 1;
        retrained.getGraphBuilder().setInitializer(0, io.caas.engine.onnx.Tensors.floatTensor(w0.getName(),
                values, w0.getDimsList().stream().mapToLong(Long::longValue).toArray()));
        assertThat(ModelMeasurer.sameGraph(mlp, mlp)).isTrue();
        assertThat(ModelMeasurer.sameGraph(mlp, retrained.build())).isTrue();
        assertThat(ModelMeasurer.sameGraph(mlp, io.caas.engine.testing.OnnxModelBuilder.gemmMlp(1, 8, 5, 2))).isFalse();
        io.caas.engine.onnx.proto.Onnx.ModelProto.Builder relabelled = mlp.toBuilder();
        relabelled.getGraphBuilder().setNode(0, mlp.getGraph().getNode(0).toBuilder().setOpType("MatMul"));
        assertThat(ModelMeasurer.sameGraph(mlp, relabelled.build())).isFalse();
    }
}
