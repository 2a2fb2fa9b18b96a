package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Operators that can hand their input back unchanged (one-input Concat and Max, Clip without bounds, a
 * reduction over no axes, Identity) must keep it on the autograd tape: fine-tuning a weight upstream of one of them
 * must still get a gradient. DJL's PyTorch duplicate() detaches, which once silently froze such weights.
 */
class PassThroughGradientTest {

    static final Map<String, AttributeProto[]> ATTRIBUTES = Map.of(
            "Concat", new AttributeProto[] {OnnxModelBuilder.integer("axis", 1)},
            "ReduceSum", new AttributeProto[] {OnnxModelBuilder.integer("noop_with_empty_axes", 1)});

    @ParameterizedTest
    @ValueSource(strings = {"Concat", "Max", "Clip", "Identity", "ReduceSum"})
    void aWeightBeforeAPassThroughOperatorGetsItsGradient(String op) {
        ModelProto model = new OnnxModelBuilder("pass-through", 13).input("x", 2, 4)
                .initializer("w", OnnxModelBuilder.randomWeights(new SplittableRandom(1), 12, 4), 4, 3)
                .node("MatMul", List.of("x", "w"), List.of("h"))
                .node(op, List.of("h"), List.of("y"), ATTRIBUTES.getOrDefault(op, new AttributeProto[0]))
                .output("y", 2, 3).build();
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            m.block().weightParameters().values().forEach(p -> p.getArray().setRequiresGradient(true));
            NDArray x = nd.create(new float[] {1, 2, 3, 4, -1, 0.5f, 2, -3}, new Shape(2, 4));
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray y = m.block().forward(new ParameterStore(m.manager(), false), new NDList(x), true).head();
                gc.backward(y.square().sum());
            }
            float[] gradient = m.block().weightParameters().get("w").getArray().getGradient().toFloatArray();
            double norm = 0;
            for (float g : gradient) {
                norm += g * g;
            }
            assertThat(norm).as("gradient of w through %s", op).isGreaterThan(1e-3);
        }
    }
}
