package io.caas.engine.cost;

import static io.caas.engine.testing.OnnxModelBuilder.integer;
import static io.caas.engine.testing.OnnxModelBuilder.ints;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.OnnxModelBuilder;
import io.caas.engine.testing.PyTorchExports;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class MacCounterTest {

    /**
     * Conv 3→8, 3×3, stride 2, pad 1 on 32×32 (out 16×16), then a depthwise 3×3 conv without padding (out 14×14),
     * which is no weighted layer (group 8) but costs MACs all the same.
     */
    private static ModelProto convs() {
        return new OnnxModelBuilder("convs", 13).input("x", -1, 3, 32, 32)
                .initializer("w1", new float[8 * 3 * 9], 8, 3, 3, 3).initializer("b1", new float[8], 8)
                .initializer("w2", new float[8 * 9], 8, 1, 3, 3)
                .namedNode("conv1", "Conv", List.of("x", "w1", "b1"), List.of("c1"), ints("kernel_shape", 3, 3),
                        ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
                .namedNode("depthwise", "Conv", List.of("c1", "w2"), List.of("y"), ints("kernel_shape", 3, 3),
                        integer("group", 8))
                .output("y", -1, 8, 14, 14).build();
    }

    @Test
    void aConvWithStrideAndPaddingCostsOutTimesInTimesKernelTimesOutputSize() {
        MacCount count = MacCounter.count(convs(), null, List.of());

        long conv1 = 8L * 3 * 3 * 3 * 16 * 16; // 55,296
        long depthwise = 8L * 1 * 3 * 3 * 14 * 14; // 14,112: in/group = 1
        assertThat(count.note()).isNull();
        assertThat(count.sampleShape()).containsExactly(3, 32, 32);
        assertThat(count.layers()).containsExactly(new LayerMacs("conv1", "Conv", conv1));
        assertThat(count.layersTotal()).isEqualTo(conv1);
        assertThat(count.total()).isEqualTo(conv1 + depthwise);
    }

    @Test
    void aGemmCostsInTimesOutPerSample() {
        MacCount count = MacCounter.count(OnnxModelBuilder.gemmMlp(1, 20, 16, 4), null, List.of());

        assertThat(count.layers()).extracting(LayerMacs::macs).containsExactly(20L * 16, 16L * 4);
        assertThat(count.total()).isEqualTo(20L * 16 + 16L * 4);
    }

    @Test
    void aMatMulOverASequenceCostsItsLengthTimesInTimesOut() {
        // ids [N, S] → embeddings [N, S, 8] → MatMul 8→8 → MatMul 8→4
        ModelProto tokens = OnnxModelBuilder.tokenModel(2, 1000, 8, 8, 4);

        MacCount twelve = MacCounter.count(tokens, new long[] {12}, List.of());
        assertThat(twelve.layers()).extracting(LayerMacs::macs).containsExactly(12L * 8 * 8, 12L * 8 * 4);

        // S is symbolic: counted at the stated default, and the count says so in its sample shape
        MacCount byDefault = MacCounter.count(tokens, null, List.of());
        assertThat(byDefault.sampleShape()).containsExactly(MacCounter.SYMBOLIC_DIM);
        assertThat(byDefault.layersTotal()).isEqualTo(MacCounter.SYMBOLIC_DIM * (8 * 8 + 8 * 4));
    }

    /** x [N, 20] → the first layer's nodes, writing "h" → Relu → MatMul "fc2" 16→4. */
    private static ModelProto dense(UnaryOperator<OnnxModelBuilder> firstLayer) {
        OnnxModelBuilder b = new OnnxModelBuilder("dense", 13).input("x", -1, 20).output("y", -1, 4)
                .initializer("w2", new float[16 * 4], 16, 4);
        return firstLayer.apply(b).namedNode("relu", "Relu", List.of("h"), List.of("r"))
                .namedNode("fc2", "MatMul", List.of("r", "w2"), List.of("y")).build();
    }

    @Test
    void aFactorizedDenseLayerCostsRankTimesInPlusOutAfter() {
        ModelProto original = dense(b -> b.initializer("w1", new float[20 * 16], 20, 16)
                .namedNode("fc1", "MatMul", List.of("x", "w1"), List.of("h")));
        int rank = 3;
        // fc1 replaced as an export does it: new nodes between its input and its output, named as the tool likes
        ModelProto compressed = dense(b -> b
                .initializer("a", new float[20 * rank], 20, rank).initializer("b", new float[rank * 16], rank, 16)
                .namedNode("first", "MatMul", List.of("x", "a"), List.of("mid"))
                .namedNode("second", "MatMul", List.of("mid", "b"), List.of("h")));

        MacComparison macs = MacCounter.compare(original, compressed, null, List.of());

        assertThat(macs.note()).isNull();
        assertThat(macs.layers()).containsExactly(
                new LayerMacsChange("fc1", "MatMul", 20L * 16, (long) rank * (20 + 16), List.of("first", "second")),
                new LayerMacsChange("fc2", "MatMul", 16L * 4, 16L * 4, List.of("fc2")));
        assertThat(macs.layersBefore()).isEqualTo(20L * 16 + 16 * 4);
        assertThat(macs.layersAfter()).isEqualTo(rank * (20L + 16) + 16 * 4);
        assertThat(macs.totalAfter()).isEqualTo(macs.layersAfter());
    }

    @Test
    void aFactorizedConvCostsItsRankFiltersAndTheOneByOneMix() {
        int rank = 2;
        // conv1 as r filters of the original kernel (stride and pads kept), then a 1×1 conv to its 8 channels
        ModelProto compressed = new OnnxModelBuilder("convs", 13).input("x", -1, 3, 32, 32)
                .initializer("u", new float[rank * 3 * 9], rank, 3, 3, 3)
                .initializer("v", new float[8 * rank], 8, rank, 1, 1).initializer("b1", new float[8], 8)
                .initializer("w2", new float[8 * 9], 8, 1, 3, 3)
                .namedNode("conv1/first", "Conv", List.of("x", "u"), List.of("m"), ints("kernel_shape", 3, 3),
                        ints("strides", 2, 2), ints("pads", 1, 1, 1, 1))
                .namedNode("conv1/second", "Conv", List.of("m", "v", "b1"), List.of("c1"), ints("kernel_shape", 1, 1))
                .namedNode("depthwise", "Conv", List.of("c1", "w2"), List.of("y"), ints("kernel_shape", 3, 3),
                        integer("group", 8))
                .output("y", -1, 8, 14, 14).build();

        MacComparison macs = MacCounter.compare(convs(), compressed, null, List.of());

        long after = (long) rank * 3 * 9 * 16 * 16 + 8L * rank * 16 * 16;
        assertThat(macs.layers()).singleElement().satisfies(l -> {
            assertThat(l.macsBefore()).isEqualTo(8L * 3 * 9 * 16 * 16);
            assertThat(l.macsAfter()).isEqualTo(after);
            assertThat(l.nodesAfter()).containsExactly("conv1/first", "conv1/second");
        });
        assertThat(macs.totalAfter()).isEqualTo(after + 8L * 9 * 14 * 14);
    }

    @Test
    void aModelOnnxRuntimeCannotSizeIsReportedNotThrown() {
        // the MatMul's sides do not fit: 20 against 7
        ModelProto broken = new OnnxModelBuilder("broken", 13).input("x", -1, 20).output("y", -1, 4)
                .initializer("w", new float[7 * 4], 7, 4)
                .namedNode("fc", "MatMul", List.of("x", "w"), List.of("y")).build();

        MacCount count = MacCounter.count(broken, null, List.of());

        assertThat(count.note()).startsWith("MACs not counted: ");
        assertThat(count.total()).isNull();
        assertThat(count.layers()).isEmpty();
    }

    /**
     * PyTorch 1.13's export of a scripted model (scripts/export-recurrent-models.py): a Conv1d 4→4 (kernel 3, pad 1,
     * length 8) in the then-branch of an If, a Linear 32→32 in its else-branch, a Linear 32→32 in a Loop body, and a
     * Linear 32→3 head in the main graph. Each nested layer is counted for one run of its body, apart from the totals.
     */
    @Test
    void layersInsideBranchesAndLoopBodiesAreCountedPerRunOfTheirBodyApartFromTheTotals() throws Exception {
        MacCount count = MacCounter.count(PyTorchExports.read("scripted-branches"), null, List.of());

        assertThat(count.layers()).extracting(LayerMacs::macs).containsExactly(32L * 3);
        assertThat(count.total()).as("the main graph's alone").isEqualTo(32L * 3);
        assertThat(count.nested()).extracting(LayerMacs::macs)
                .containsExactlyInAnyOrder(4L * 8 * 4 * 3, 32L * 32, 32L * 32);
        assertThat(count.nested()).extracting(LayerMacs::node).allMatch(n -> n.startsWith("/"))
                .anyMatch(n -> n.contains("[then_branch]")).anyMatch(n -> n.contains("[else_branch]"))
                .anyMatch(n -> n.contains("[body]"));
        assertThat(count.note()).contains("counted per run of their body, apart from the totals")
                .doesNotContain("could not be sized");
        // the same paths as the model summary lists the nested layers by
        assertThat(count.nested()).extracting(LayerMacs::node).containsAll(
                io.caas.engine.onnx.ModelInspector.inspect(PyTorchExports.read("scripted-branches")).subgraphLayers()
                        .stream().map(l -> l.layer().node()).toList());
    }

    /**
     * svd at rank 4 inside the branches and the loop body: each nested Linear 32→32 costs 4·(32 + 32) after, in the
     * two factors written into its own body; the Conv1d stays as it was.
     */
    @Test
    void aNestedLayerIsFoundAgainInsideItsBodyAfterCompressionAndCountedThere() throws Exception {
        ModelProto original = PyTorchExports.read("scripted-branches");
        ModelProto compressed = new io.caas.engine.compress.svd.TruncatedSvdMethod().compress(
                new io.caas.engine.compress.CompressionTask(original, java.util.Map.of("rank", 4,
                        "skipFirstAndLast", false, "onlyIfFaster", false), java.util.Optional.empty(),
                        java.util.Optional.empty()), io.caas.engine.compress.ProgressListener.NONE).compressed();

        MacComparison macs = MacCounter.compare(original, compressed, null, List.of());

        assertThat(macs.nested()).hasSize(3);
        for (LayerMacsChange l : macs.nested()) {
            if (l.opType().equals("Gemm")) {
                assertThat(l.macsBefore()).as(l.node()).isEqualTo(32L * 32);
                assertThat(l.macsAfter()).as(l.node()).isEqualTo(4L * (32 + 32));
                assertThat(l.nodesAfter()).as(l.node()).hasSize(2).allMatch(n -> n.startsWith(
                        l.node().substring(0, l.node().indexOf(']') + 1)));
            } else {
                // the Conv1d 4→4 (a 4 × 12 matrix) would not shrink at rank 4: left as it was, found again
                assertThat(l.macsAfter()).as(l.node()).isEqualTo(l.macsBefore()).isEqualTo(4L * 8 * 4 * 3);
            }
        }
        assertThat(macs.totalBefore()).as("the main graph's alone").isEqualTo(32L * 3);
        assertThat(macs.note()).contains("counted per run of their body, apart from the totals");
    }
}
