package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.compress.oialr.OialrMethod;
import io.caas.engine.eval.ModelRunner;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.SubgraphLayer;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.testing.FixedSpeedCheck;
import io.caas.engine.testing.OrtVsInterpreter;
import io.caas.engine.testing.PyTorchExports;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Layers inside control flow, on the torch.jit.script model PyTorch 1.13 exported (scripts/export-recurrent-models.sh):
 * a Conv1d in the then-branch of a data-dependent if, a Linear in its else-branch, another Linear in a loop body,
 * each reading its weight from the main graph. They are listed by their path, and svd truncates them in place.
 */
class SubgraphLayersTest {

    private static final long[] SAMPLE = {4, 8};

    @Test
    void layersInsideBranchesAndLoopBodiesAreListedByTheirPath() throws Exception {
        ModelSummary summary = ModelInspector.inspect(scripted());
        assertThat(summary.layers()).extracting(l -> l.node()).as("the main graph's layers: the head")
                .containsExactly("/head/Gemm");
        // the then-branch's Conv1d (a 3-D kernel) is a conv layer like a 2-D one
        assertThat(summary.subgraphLayers()).extracting(l -> l.layer().node())
                .containsExactly("/If[then_branch]/conv/Conv", "/If[else_branch]/wide/Gemm", "/Loop[body]/inner/Gemm");
        assertThat(summary.subgraphLayers()).extracting(SubgraphLayer::subgraph)
                .containsExactly("/If[then_branch]", "/If[else_branch]", "/Loop[body]");
        for (SubgraphLayer l : summary.subgraphLayers()) {
            assertThat(l.layer().node()).startsWith(l.subgraph() + "/");
            assertThat(l.layer().weight()).as("read from the main graph").endsWith(".weight");
        }
    }

    @Test
    void svdTruncatesThemInPlaceAndTheModelKeepsItsControlFlow() throws Exception {
        ModelProto model = scripted();
        CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(model, Map.of("rank", 4,
                "onlyIfFaster", false), Optional.empty(), Optional.empty()), ProgressListener.NONE);

        LayerReport wide = layer(r, "/If[else_branch]/wide/Gemm");
        LayerReport inner = layer(r, "/Loop[body]/inner/Gemm");
        for (LayerReport l : List.of(wide, inner)) {
            assertThat(l.factorized()).as(l.note()).isTrue();
            assertThat(l.finalRank()).isEqualTo(4);
            assertThat(l.parametersAfter()).isEqualTo(4 * (32 + 32));
            assertThat(l.note()).contains("inside /");
        }

        ModelProto compressed = r.compressed();
        long saved = 2 * (1024 - 4 * 64);
        assertThat(ModelInspector.inspect(compressed).parameters()).as("the factors replace the two weights")
                .isEqualTo(ModelInspector.inspect(model).parameters() - saved);
        assertThat(compressed.getGraph().getInitializerList()).extracting(t -> t.getName())
                .as("the outer weights nothing reads any more are gone").doesNotContain("wide.weight", "inner.weight")
                .contains("conv.weight", "head.weight");
        assertThat(compressed.getGraph().getNodeList()).extracting(NodeProto::getOpType).contains("If", "Loop");
        GraphProto body = subgraph(compressed, "Loop", "body");
        assertThat(body.getInitializerList()).extracting(t -> t.getName())
                .containsExactly("/Loop[body]/inner/Gemm/svd_first_weight", "/Loop[body]/inner/Gemm/svd_second_weight");

        // both branches run in ONNX Runtime as in the interpreter, and at rank 4 of 32 the outputs move but stay close
        for (float shift : new float[] {0, -1}) {
            float[] x = inputs(3, shift);
            assertThat(OrtVsInterpreter.maxAbsDiff(compressed, SAMPLE, x, 3)).isLessThanOrEqualTo(1e-4);
            float[][] before = run(model, x);
            float[][] after = run(compressed, x);
            double change = 0;
            for (int i = 0; i < before.length; i++) {
                for (int j = 0; j < before[i].length; j++) {
                    change = Math.max(change, Math.abs(before[i][j] - after[i][j]));
                }
            }
            assertThat(change).as("the truncated layers are in the path taken").isPositive();
        }
    }

    @Test
    void aWholeModelRuleLeavesThemDenseAndSaysWhy() throws Exception {
        CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(scripted(), Map.of(
                "targetParameters", 2264, "onlyIfFaster", false), Optional.empty(), Optional.empty()),
                ProgressListener.NONE);
        assertThat(layer(r, "/Loop[body]/inner/Gemm").factorized()).isFalse();
        assertThat(layer(r, "/Loop[body]/inner/Gemm").note()).contains("targetParameters is measured on the main "
                + "graph's layers");

        // the speed check, on by default, cannot cut a layer out of a branch to time it: the whole model decides,
        // keeping the truncated layers where it is faster and returning the original where it is not
        for (boolean wholeFaster : new boolean[] {true, false}) {
            FixedSpeedCheck fixed = new FixedSpeedCheck(wholeFaster);
            CompressionResult timed = new TruncatedSvdMethod(fixed.factory()).compress(
                    new CompressionTask(scripted(), Map.of("rank", 4), Optional.empty(), Optional.empty()),
                    ProgressListener.NONE);
            assertThat(fixed.layersAsked).noneMatch(n -> n.startsWith("/If[") || n.startsWith("/Loop["));
            LayerReport wide = layer(timed, "/If[else_branch]/wide/Gemm");
            assertThat(wide.factorized()).as(wide.note()).isEqualTo(wholeFaster);
            assertThat(wide.note()).contains("not timed alone").contains(wholeFaster ? "whole model's timing decides"
                    : "every layer was left dense");
            assertThat(ModelInspector.inspect(timed.compressed()).parameters() < 2263).isEqualTo(wholeFaster);
        }
    }

    @Test
    void aLayerInsideASubgraphCanBeNamedAndOialrTakesAModelWhoseLayersAreAllInside() throws Exception {
        ModelProto model = scripted();
        CompressionResult r = new TruncatedSvdMethod().compress(new CompressionTask(model, Map.of("rank", 4,
                "onlyIfFaster", false, "layers", List.of("/Loop[body]/inner/Gemm")), Optional.empty(),
                Optional.empty()), ProgressListener.NONE);
        assertThat(r.layers().stream().filter(LayerReport::factorized)).extracting(LayerReport::node)
                .containsExactly("/Loop[body]/inner/Gemm");

        // a model whose only layers sit in branches: oialr, which trains them where they sit, takes it too
        ModelProto branchesOnly = model.toBuilder().setGraph(model.getGraph().toBuilder().clearNode()
                .addAllNode(model.getGraph().getNodeList().stream().filter(n -> !n.getName().equals("/head/Gemm"))
                        .toList())).build();
        new OialrMethod().validate(Map.of("layers", List.of("/Loop[body]/inner/Gemm")),
                ModelInspector.inspect(branchesOnly));
        new TruncatedSvdMethod().validate(Map.of(), ModelInspector.inspect(branchesOnly));
        new OialrMethod().check(Map.of(), model, ModelInspector.inspect(model), true);

        // a method that rewrites only the main graph's layers says which of its kind sit inside, and what reaches them
        assertThatThrownBy(() -> io.caas.engine.compress.CompressionMethods.get("ldr").validate(Map.of(),
                ModelInspector.inspect(branchesOnly))).isInstanceOf(InvalidParametersException.class)
                .hasMessageContaining("ldr does not reach the 2 such layers inside the model's If/Loop/Scan subgraphs")
                .hasMessageContaining("/If[else_branch]/wide/Gemm").hasMessageContaining("/Loop[body]/inner/Gemm")
                .hasMessageContaining("svd and oialr");

        // with every layer kept dense, what oialr could train is named, those inside subgraphs by their path
        assertThatThrownBy(() -> new OialrMethod().check(Map.of("minRank", 40), model, ModelInspector.inspect(model),
                true)).isInstanceOf(InvalidParametersException.class).hasMessageContaining("/head/Gemm (last layer")
                .hasMessageContaining("/Loop[body]/inner/Gemm (too skinny");
    }

    private static GraphProto subgraph(ModelProto m, String op, String attribute) {
        NodeProto node = m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).findFirst()
                .orElseThrow();
        return node.getAttributeList().stream().filter(a -> a.getName().equals(attribute))
                .map(AttributeProto::getG).findFirst().orElseThrow();
    }

    private static LayerReport layer(CompressionResult r, String node) {
        return r.layers().stream().filter(l -> l.node().equals(node)).findFirst().orElseThrow(
                () -> new AssertionError(node + " not reported; reported: " + r.layers().stream()
                        .map(LayerReport::node).toList()));
    }

    private static float[][] run(ModelProto m, float[] x) {
        try (ModelRunner runner = new ModelRunner(m, 1, SAMPLE)) {
            return runner.run(x, 0, x.length / 32);
        }
    }

    private static float[] inputs(int samples, float shift) {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] x = new float[samples * 32];
        for (int i = 0; i < x.length; i++) {
            x[i] = shift + (float) rnd.nextDouble();
        }
        return x;
    }

    private static ModelProto scripted() throws Exception {
        return PyTorchExports.read("scripted-branches");
    }
}
