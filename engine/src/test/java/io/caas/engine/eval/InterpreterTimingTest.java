package io.caas.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.caas.engine.testing.OnnxModelBuilder;
import org.junit.jupiter.api.Test;

class InterpreterTimingTest {

    @Test
    void timesACnnAtBatchOneAndBatchN() {
        var options = EvaluationOptions.defaults().withRuns(2, 5).withBatchSize(8);
        var result = InterpreterTiming.measure(OnnxModelBuilder.cnn(3, 16, 10, 1, 4, 8), null, options, Device.cpu());

        assertThat(result.device()).isEqualTo("cpu()");
        assertThat(result.batch1().batchSize()).isEqualTo(1);
        assertThat(result.batchN().batchSize()).isEqualTo(8);
        assertThat(result.batch1().runs()).isEqualTo(5);
        assertThat(result.batch1().p50Ms()).isPositive();
        assertThat(result.batch1().p95Ms()).isGreaterThanOrEqualTo(result.batch1().p50Ms());
        assertThat(result.batchN().looped()).isFalse();
    }

    @Test
    void aModelWithOperatorsTheInterpreterLacksIsNamedNotTimed() {
        // Hardmax: an operator the interpreter does not have
        var model = io.caas.engine.runtime.TinyModels.model(io.caas.engine.onnx.proto.Onnx.GraphProto.newBuilder()
                .setName("hardmax").addNode(io.caas.engine.runtime.TinyModels.node("Hardmax", new String[] {"x"},
                        new String[] {"y"}))
                .addInput(io.caas.engine.runtime.TinyModels.floatTensor("x", -1, 8))
                .addOutput(io.caas.engine.runtime.TinyModels.floatTensor("y", -1, 8)).build(), 13);
        assertThatThrownBy(() -> InterpreterTiming.measure(model, new long[] {8},
                EvaluationOptions.defaults().withRuns(1, 1), Device.cpu()))
                .isInstanceOf(EvaluationException.class).hasMessageContaining("cannot run");
    }
}
