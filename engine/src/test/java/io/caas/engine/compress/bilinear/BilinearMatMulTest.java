package io.caas.engine.compress.bilinear;

import io.caas.engine.compress.hadamard.HadamardExport;
import io.caas.engine.compress.hadamard.FittedTensor;
import io.caas.engine.compress.hadamard.CpDecomposition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.BilinearForm;
import io.caas.engine.onnx.BilinearLayers;
import io.caas.engine.onnx.BilinearMatMul;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.OnnxModels;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.OrtVsInterpreter;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bilinear layers written as MatMul patterns, on models exported by PyTorch 1.13 (src/test/python/
 * export_bilinear_matmul.py; x [N, 6], y [N, 4], 3 outputs): each form is found as one bilinear layer, rewritten
 * at full rank it computes what the original computes in ONNX Runtime, and the interpreter agrees; the near misses
 * (and mutations of a real export) are left alone.
 */
class BilinearMatMulTest {

    static final int I = 6;
    static final int J = 4;
    static final int K = 3;
    static final List<DatasetInput> INPUTS = List.of(new DatasetInput("x", new long[] {I}),
            new DatasetInput("y", new long[] {J}));
    static final int SAMPLES = 64;
    /** As the Einsum tests: ONNX Runtime and the interpreter within 1e-4. */
    static final double TOLERANCE = 1e-4;
    /** The full-rank rewrite against the original, both in ONNX Runtime: float rounding only (measured ≤ 2e-6). */
    static final double REWRITE_TOLERANCE = 1e-5;

    @ParameterizedTest
    @ValueSource(strings = {"mulsum-opset11", "mulsum-dynamic-opset13", "matmul-squeeze-opset17",
            "stored-kij-opset13", "jk-layout-opset11", "row-times-matrix-opset15", "own-batch-opset13"})
    void eachExportedFormIsOneBilinearLayerAndItsFullRankRewriteIsExact(String name) {
        assertTheOnlyLayerOfXAndYRewritesExactly(name, BilinearMatMul.class);
    }

    /**
     * The fixture's only layer is a bilinear MatMul pattern of form {@code type} over x and y with the [k, i, j]
     * weight (the projection is part of it, not a dense layer of its own), and its full-rank rewrite is exact.
     */
    static void assertTheOnlyLayerOfXAndYRewritesExactly(String name, Class<? extends BilinearForm> type) {
        ModelProto model = fixture(name);
        WeightedLayer layer = onlyBilinearLayer(model);
        assertThat(layer.opType()).isEqualTo("MatMul");
        assertThat(layer.matrixShape()).containsExactly(K, I, J);
        assertThat(layer.parameters()).isEqualTo(K * I * J);
        assertThat(ModelInspector.inspect(model).layers()).hasSize(1);
        BilinearForm form = onlyForm(model, type);
        assertThat(form.first()).isEqualTo("x");
        assertThat(form.second()).isEqualTo("y");

        assertFullRankRewriteIsExact(model, layer, form, name);
    }

    @Test
    void theSameActivationOnBothSidesIsStillABilinearLayer() {
        ModelProto model = fixture("same-input-opset13");
        WeightedLayer layer = onlyBilinearLayer(model);
        assertThat(layer.matrixShape()).containsExactly(K, J, J);
        BilinearForm form = onlyForm(model);
        assertThat(form.first()).isEqualTo(form.second()).isNotIn("x", "y"); // the encoder's Relu output
        // the encoder stays a dense layer of its own
        assertThat(ModelInspector.inspect(model).layers()).extracting(WeightedLayer::kind)
                .containsExactlyInAnyOrder(LayerKind.DENSE, LayerKind.BILINEAR);
        assertFullRankRewriteIsExact(model, layer, form, "same-input-opset13");
    }

    @ParameterizedTest
    @ValueSource(strings = {"miss-wrong-axis-opset13", "miss-relu-between-opset13",
            "miss-constant-second-opset13", "miss-projection-read-twice-opset13", "miss-gemm-relu-between-opset13",
            "miss-broadcast-relu-between-opset13", "miss-broadcast-wrong-axis-opset13",
            "miss-broadcast-x-as-column-opset13"})
    void nearMissesAreNotBilinearLayers(String name) {
        ModelProto model = fixture(name);
        ModelSummary summary = ModelInspector.inspect(model);
        System.out.printf("%s: %s -> layers %s%n", name, ops(model), summary.layers().stream()
                .map(l -> l.node() + ":" + l.kind()).toList());
        assertThat(summary.layers()).noneMatch(l -> l.kind() == LayerKind.BILINEAR);
        assertThat(BilinearLayers.byNode(model.getGraph())).isEmpty();
        assertThatThrownBy(() -> CompressionMethods.get("bilinear").validate(Map.of(), summary))
                .hasMessageContaining("no bilinear layer");
    }

    @Test
    void mutationsOfARealExportThatBreakTheFormAreRefused() {
        ModelProto model = fixture("mulsum-opset13-like");
        assertThat(BilinearLayers.byNode(model.getGraph())).hasSize(1);
        // keepdims=1 keeps the summed axis: [N, k, 1] is not the layer's output
        assertThat(BilinearLayers.byNode(withAttribute(model, "ReduceSum", "keepdims", 1).getGraph())).isEmpty();
        // the weight fed at run time rather than stored
        assertThat(BilinearLayers.byNode(weightAsInput(model).getGraph())).isEmpty();
        // y unsqueezed at axis 0 is a different broadcast altogether
        assertThat(BilinearLayers.byNode(withAttribute(model, "Unsqueeze", "axes", 0).getGraph())).isEmpty();
        // the sum over both remaining axes
        assertThat(BilinearLayers.byNode(withReduceAxes(model, 1, 2).getGraph())).isEmpty();
        // the projection's output also read by another node
        assertThat(BilinearLayers.byNode(withExtraReader(model, "MatMul").getGraph())).isEmpty();

        // t.view(t.shape[0], k, j): the Shape of the projection may go with it, unless its value is used elsewhere
        ModelProto ownBatch = fixture("own-batch-opset13");
        assertThat(BilinearLayers.byNode(ownBatch.getGraph())).hasSize(1);
        assertThat(BilinearLayers.byNode(withExtraReader(ownBatch, "Shape").getGraph())).isEmpty();
        assertThat(BilinearLayers.byNode(withExtraReader(ownBatch, "Gather").getGraph())).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mulsum-dynamic-opset13", "own-batch-opset13", "stored-kij-opset13",
            "broadcast-kij-opset11", "broadcast-kij-matvec-opset15", "broadcast-kij-twice-opset13",
            "gemm-bias-opset13", "gemm-bias-squeeze-opset11"})
    void brokenNodesAreNoPatternAndNoCrash(String name) {
        // an upload may hold any node without its inputs, outputs or attributes: detection must just not match
        ModelProto model = fixture(name);
        int broken = 0;
        for (int i = 0; i < model.getGraph().getNodeCount(); i++) {
            NodeProto n = model.getGraph().getNode(i);
            for (NodeProto b : List.of(n.toBuilder().clearInput().build(), n.toBuilder().clearOutput().build(),
                    n.toBuilder().clearAttribute().build(), n.toBuilder().clearInput().clearAttribute().build())) {
                ModelProto m = model.toBuilder().setGraph(model.getGraph().toBuilder().setNode(i, b)).build();
                assertThat(BilinearLayers.byNode(m.getGraph()).size()).isLessThanOrEqualTo(1);
                ModelInspector.inspect(m);
                broken++;
            }
        }
        assertThat(broken).isGreaterThan(10);
    }

    @Test
    void theMethodFactorizesAnExportedMatMulLayerAndOnlyItsNodesGo() throws InterruptedException {
        ModelProto model = fixture("mulsum-dynamic-opset13");
        CompressionResult r = rankTwo(model);
        LayerReport layer = r.layers().get(0);
        assertThat(layer.factorized()).isTrue();
        assertThat(layer.parametersAfter()).isEqualTo(2 * (K + I + J));
        List<String> before = ops(model);
        List<String> after = ops(r.compressed());
        System.out.printf("mulsum-dynamic-opset13, rank 2: %s%n  %s%n  -> %s%n", layer.note(), before, after);
        // Shape, Gather, Unsqueeze, Concat, Reshape, Unsqueeze, Mul, ReduceSum and their constants are gone; the
        // bias Add stays and reads the layer's output as before
        assertThat(after).containsExactly("MatMul", "MatMul", "Mul", "MatMul", "Add");
        assertThat(r.compressed().getGraph().getInitializerList()).extracting(TensorProto::getName)
                .containsExactlyInAnyOrder("b", layer.node() + ".U", layer.node() + ".V", layer.node() + ".P");
        assertThat(OrtVsInterpreter.maxAbsDiff(r.compressed(), INPUTS, inputs(), SAMPLES)).isLessThanOrEqualTo(TOLERANCE);
    }

    /**
     * Rewrites the layer at full rank (the projection bias, where there is one, fitted with W) and checks that
     * ONNX Runtime computes the same outputs from the rewrite, that the dense weight and the pattern's nodes are
     * gone, and that the interpreter agrees with ONNX Runtime on both.
     */
    static void assertFullRankRewriteIsExact(ModelProto model, WeightedLayer layer, BilinearForm form, String name) {
        FittedTensor tensor = FittedTensor.of(form, Weights.of(model.getGraph()));
        int rank = tensor.exactRank();
        CpDecomposition.Factors f = tensor.fit(rank, 50, 1);
        assertThat(f.relativeError()).isLessThan(1e-6);
        ModelProto rewritten = HadamardExport.apply(model, List.of(new HadamardExport.Replacement(layer.node(),
                form, rank, floats(f.u()), floats(f.v()), floats(f.p()))));
        assertThat(ops(rewritten)).doesNotContainAnyElementsOf(List.of("Reshape", "ReduceSum", "Squeeze",
                "Unsqueeze", "Concat", "Shape", "Gather", "Transpose"));
        assertThat(Weights.of(rewritten.getGraph()).get(form.weight())).isEmpty();
        form.projectionBias().ifPresent(c -> assertThat(Weights.of(rewritten.getGraph()).get(c)).isEmpty());
        assertThat(BilinearLayers.byNode(rewritten.getGraph())).isEmpty();

        float[] x = inputs();
        float[][] original = OrtVsInterpreter.onnxRuntime(model, INPUTS, x, SAMPLES);
        float[][] hadamard = OrtVsInterpreter.onnxRuntime(rewritten, INPUTS, x, SAMPLES);
        double rewriteDiff = 0;
        double scale = 0;
        for (int s = 0; s < SAMPLES; s++) {
            assertThat(hadamard[s]).hasSize(K);
            for (int k = 0; k < K; k++) {
                rewriteDiff = Math.max(rewriteDiff, Math.abs(original[s][k] - hadamard[s][k]));
                scale = Math.max(scale, Math.abs(original[s][k]));
            }
        }
        double originalVsInterpreter = OrtVsInterpreter.maxAbsDiff(model, INPUTS, x, SAMPLES);
        double rewrittenVsInterpreter = OrtVsInterpreter.maxAbsDiff(rewritten, INPUTS, x, SAMPLES);
        System.out.printf("%s: %s -> %s; full rank %d: ORT original vs rewritten max |diff| %.2e (outputs up to "
                        + "%.2f); ORT vs interpreter %.2e original, %.2e rewritten%n", name, ops(model),
                ops(rewritten), rank, rewriteDiff, scale, originalVsInterpreter, rewrittenVsInterpreter);
        assertThat(scale).isGreaterThan(0.5); // the comparison is not between zeros
        assertThat(rewriteDiff).isLessThanOrEqualTo(REWRITE_TOLERANCE);
        assertThat(originalVsInterpreter).isLessThanOrEqualTo(TOLERANCE);
        assertThat(rewrittenVsInterpreter).isLessThanOrEqualTo(TOLERANCE);
    }

    static WeightedLayer onlyBilinearLayer(ModelProto model) {
        List<WeightedLayer> bilinear = ModelInspector.inspect(model).layers().stream()
                .filter(l -> l.kind() == LayerKind.BILINEAR).toList();
        assertThat(bilinear).hasSize(1);
        return bilinear.get(0);
    }

    private static BilinearForm onlyForm(ModelProto model) {
        return onlyForm(model, BilinearMatMul.class);
    }

    static BilinearForm onlyForm(ModelProto model, Class<? extends BilinearForm> type) {
        Map<Integer, BilinearForm> forms = BilinearLayers.byNode(model.getGraph());
        assertThat(forms).hasSize(1);
        assertThat(forms.values().iterator().next()).isInstanceOf(type);
        return forms.values().iterator().next();
    }

    /** Seeded uniform [-1, 1) inputs, x then y for each sample. */
    static float[] inputs() {
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[SAMPLES * (I + J)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * r.nextDouble() - 1);
        }
        return x;
    }

    static ModelProto fixture(String name) {
        String resource = "bilinear-matmul/" + name + ".onnx";
        if (name.equals("mulsum-opset13-like")) {
            resource = "bilinear-matmul/mulsum-dynamic-opset13.onnx";
        }
        try (InputStream in = BilinearMatMulTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("missing test resource " + resource);
            }
            return OnnxModels.read(in);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static List<String> ops(ModelProto model) {
        return model.getGraph().getNodeList().stream().map(NodeProto::getOpType)
                .filter(op -> !op.equals("Constant")).toList();
    }

    private static ModelProto withAttribute(ModelProto model, String op, String attribute, long value) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals(op)) {
                NodeProto.Builder b = n.toBuilder().clearAttribute();
                n.getAttributeList().stream().filter(a -> !a.getName().equals(attribute)).forEach(b::addAttribute);
                if (attribute.equals("axes")) {
                    b.clearInput().addInput(n.getInput(0)).addAttribute(OnnxModelBuilder.ints("axes", value));
                } else {
                    b.addAttribute(OnnxModelBuilder.integer(attribute, value));
                }
                g.setNode(i, b);
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static ModelProto withReduceAxes(ModelProto model, long... axes) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("ReduceSum")) {
                g.addInitializer(io.caas.engine.onnx.Tensors.int64Tensor("two_axes", axes, axes.length));
                g.setNode(i, n.toBuilder().setInput(1, "two_axes"));
            }
        }
        return model.toBuilder().setGraph(g).build();
    }

    private static ModelProto weightAsInput(ModelProto model) {
        BilinearForm form = onlyForm(model);
        GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = g.getInitializerCount() - 1; i >= 0; i--) {
            if (g.getInitializer(i).getName().equals(form.weight())) {
                g.removeInitializer(i);
            }
        }
        GraphProto withInput = new OnnxModelBuilder("w", 13).input(form.weight(), I, K * J).build().getGraph();
        g.addInput(withInput.getInput(0));
        return model.toBuilder().setGraph(g).build();
    }

    /** The output of the first {@code op} node also read by an Identity whose output is a graph output. */
    static ModelProto withExtraReader(ModelProto model, String op) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String read = g.getNodeList().stream().filter(n -> n.getOpType().equals(op)).findFirst()
                .orElseThrow().getOutput(0);
        g.addNode(NodeProto.newBuilder().setOpType("Identity").setName("extra").addInput(read).addOutput("extra"));
        g.addOutput(new OnnxModelBuilder("o", 13).output("extra").build().getGraph().getOutput(0));
        return model.toBuilder().setGraph(g).build();
    }

    static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** The bilinear method at rank 2, without data (no fine-tuning). */
    static CompressionResult rankTwo(ModelProto model) throws InterruptedException {
        return CompressionMethods.get("bilinear").compress(new CompressionTask(model, Map.of("rank", 2),
                Optional.empty(), Optional.empty()), ProgressListener.NONE);
    }
}
