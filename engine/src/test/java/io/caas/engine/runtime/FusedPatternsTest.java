package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.GeluModels;
import io.caas.engine.testing.MiniLm;
import io.caas.engine.testing.NormalizationModels;
import io.caas.engine.testing.OrtVsInterpreter;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The exported LayerNorm, GELU and dense-layer chains run as one operator each, with the outputs and gradients of the graph as
 * written, and their near misses run as written.
 */
class FusedPatternsTest {

    private static final int DIM = 16;

    @Test
    void exportedLayerNormRunsAsOneOperatorWithTheGraphsOutputsAndGradients() {
        ModelProto model = NormalizationModels.projectionThenNorm(1, DIM, NormalizationModels.Form.EXPORTED);
        assertThat(plan(model, true)).containsExactly("MatMul", "LayerNormalization");
        assertThat(plan(model, false)).contains("ReduceMean", "Pow", "Sqrt");
        assertSameAsWritten(model, new long[] {3, DIM}, 1e-5);
        assertThat(OrtVsInterpreter.maxAbsDiff(model, new long[] {3, DIM}, 4)).isLessThan(1e-5);
    }

    @Test
    void layerNormNearMissesRunAsWritten() {
        for (NormalizationModels.Form form : new NormalizationModels.Form[] {
                NormalizationModels.Form.EPSILON_AFTER_SQRT, NormalizationModels.Form.CENTRED_ALSO_OUTPUT}) {
            ModelProto model = NormalizationModels.projectionThenNorm(1, DIM, form);
            assertThat(plan(model, true)).as(form.name()).isEqualTo(plan(model, false)).contains("ReduceMean");
            assertThat(OrtVsInterpreter.maxAbsDiff(model, new long[] {3, DIM}, 4)).as(form.name()).isLessThan(1e-5);
        }
    }

    @Test
    void exportedGeluRunsAsOneOperatorWithTheGraphsOutputsAndGradients() {
        for (GeluModels.Form form : new GeluModels.Form[] {GeluModels.Form.TORCH_EXPORT, GeluModels.Form.HALF_FIRST}) {
            ModelProto model = GeluModels.projectionThenGelu(2, DIM, form);
            assertThat(plan(model, true)).as(form.name()).containsExactly("MatMul", "Gelu");
            assertSameAsWritten(model, new long[] {DIM}, 1e-6);
            assertThat(OrtVsInterpreter.maxAbsDiff(model, new long[] {DIM}, 4)).as(form.name()).isLessThan(1e-6);
        }
    }

    @Test
    void geluNearMissesRunAsWritten() {
        for (GeluModels.Form form : new GeluModels.Form[] {GeluModels.Form.ERF_ALSO_OUTPUT, GeluModels.Form.WRONG_HALF}) {
            ModelProto model = GeluModels.projectionThenGelu(2, DIM, form);
            assertThat(plan(model, true)).as(form.name()).isEqualTo(plan(model, false)).contains("Erf");
            assertThat(OrtVsInterpreter.maxAbsDiff(model, new long[] {DIM}, 4)).as(form.name()).isLessThan(1e-6);
        }
    }

    @Test
    void aMatMulByAWeightThenABiasRunsAsOneLinearWithTheGraphsOutputsAndGradients() {
        for (boolean biasFirst : new boolean[] {false, true}) {
            ModelProto model = projection(biasFirst, Variant.AS_EXPORTED);
            assertThat(plan(model, true)).containsExactly("Linear", "Relu");
            assertThat(plan(model, false)).containsExactly("MatMul", "Add", "Relu");
            assertSameAsWritten(model, new long[] {3, DIM}, 1e-5);
            assertThat(OrtVsInterpreter.maxAbsDiff(model, new long[] {3, DIM}, 4)).isLessThan(1e-5);
        }
    }

    @Test
    void linearNearMissesRunAsWritten() {
        for (Variant v : new Variant[] {Variant.PRODUCT_ALSO_OUTPUT, Variant.BIAS_OF_TWO_AXES}) {
            ModelProto model = projection(false, v);
            assertThat(plan(model, true)).as(v.name()).isEqualTo(plan(model, false)).contains("MatMul", "Add");
            assertThat(OrtVsInterpreter.maxAbsDiff(model, new long[] {3, DIM}, 4)).as(v.name()).isLessThan(1e-5);
        }
    }

    private enum Variant { AS_EXPORTED, PRODUCT_ALSO_OUTPUT, BIAS_OF_TWO_AXES }

    /** x (batch, 3, DIM) · W (DIM × 8) + b, then Relu: nn.Linear on a 3-D input as PyTorch exports it. */
    private static ModelProto projection(boolean biasFirst, Variant variant) {
        SplittableRandom r = new SplittableRandom(4);
        float[] w = new float[DIM * 8];
        float[] b = new float[8];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextDouble() - 0.5);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (r.nextDouble() - 0.5);
        }
        io.caas.engine.testing.OnnxModelBuilder m = new io.caas.engine.testing.OnnxModelBuilder("linear", 13)
                .input("x", -1, 3, DIM)
                .initializer("w", w, DIM, 8);
        m = variant == Variant.BIAS_OF_TWO_AXES ? m.initializer("b", b, 1, 8) : m.initializer("b", b, 8);
        m = m.node("MatMul", java.util.List.of("x", "w"), java.util.List.of("xw"))
                .node("Add", biasFirst ? java.util.List.of("b", "xw") : java.util.List.of("xw", "b"),
                        java.util.List.of("h"))
                .node("Relu", java.util.List.of("h"), java.util.List.of("y"))
                .output("y", -1, 3, 8);
        return (variant == Variant.PRODUCT_ALSO_OUTPUT ? m.output("xw", -1, 3, 8) : m).build();
    }

    @Test
    void miniLmRunsItsThirteenLayerNormsAndSixGelusFused() {
        ModelProto model = MiniLm.model();
        java.util.List<String> fused = plan(model, true);
        assertThat(fused.stream().filter("LayerNormalization"::equals).count()).isEqualTo(13);
        assertThat(fused.stream().filter("Gelu"::equals).count()).isEqualTo(6);
        assertThat(fused.stream().filter("Linear"::equals).count()).isEqualTo(36);
        assertThat(fused).doesNotContain("Erf", "Sqrt", "Pow");
        assertThat(plan(model, false).size() - fused.size()).isEqualTo(13 * 8 + 6 * 4 + 36);
    }

    private static java.util.List<String> plan(ModelProto model, boolean fused) {
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu(), fused)) {
            return m.block().plannedOperators();
        }
    }

    /**
     * Fused and as written: the same outputs, and the same gradient of the sum of their squares for every weight, to
     * {@code tolerance} of the largest magnitude (at least 1): the kernels round differently.
     */
    private static void assertSameAsWritten(ModelProto model, long[] sampleShape, double tolerance) {
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = 5;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        float[] x = new float[(int) new Shape(shape).size()];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (4 * r.nextDouble() - 2);
        }
        try (InterpretedModel fused = OnnxInterpreter.load(model, Device.cpu(), true);
             InterpretedModel written = OnnxInterpreter.load(model, Device.cpu(), false)) {
            Map<String, float[]> a = outputAndGradients(fused, x, shape);
            Map<String, float[]> b = outputAndGradients(written, x, shape);
            assertThat(a.keySet()).isEqualTo(b.keySet());
            a.forEach((name, values) -> {
                float[] other = b.get(name);
                double max = 0;
                double scale = 1;
                for (int i = 0; i < values.length; i++) {
                    max = Math.max(max, Math.abs(values[i] - other[i]));
                    scale = Math.max(scale, Math.abs(other[i]));
                }
                assertThat(max).as(name + ", relative to its largest magnitude (at least 1)").isLessThan(tolerance * scale);
            });
        }
    }

    private static Map<String, float[]> outputAndGradients(InterpretedModel m, float[] x, long[] shape) {
        Map<String, float[]> out = new java.util.TreeMap<>();
        try (NDManager nd = m.manager().newSubManager();
             GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
            NDArray y = m.block().forward(new ParameterStore(nd, false), new NDList(nd.create(x, new Shape(shape))),
                    true).head();
            out.put("output", y.toFloatArray());
            gc.backward(y.mul(y).sum());
            for (Map.Entry<String, Parameter> p : m.block().weightParameters().entrySet()) {
                out.put("gradient of " + p.getKey(), p.getValue().getArray().getGradient().toFloatArray());
            }
        }
        return out;
    }
}
