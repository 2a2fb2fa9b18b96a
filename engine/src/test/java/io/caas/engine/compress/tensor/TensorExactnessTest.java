package io.caas.engine.compress.tensor;

import io.caas.engine.testing.OrtVsInterpreter;
import static io.caas.engine.testing.OnnxModelBuilder.ints;
import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.compress.CompressionMethods;
import io.caas.engine.compress.CompressionResult;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.eval.EvaluationOptions;
import io.caas.engine.eval.Evaluator;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.testing.OnnxModelBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Exactness of the exported chains: at full rank Tucker-2 and TT reproduce the original model, CP recovers a
 * kernel that is exactly of its rank; strides, asymmetric pads, dilations and auto_pad survive the split; the
 * exports run alike in ONNX Runtime and in the interpreter.
 */
class TensorExactnessTest {

    private static final long[] SAMPLE = {5, 17, 13};

    /**
     * Conv 5→12 with a 3×5 kernel, strides (2, 1), pads (top 1, left 2, bottom 0, right 1), dilations (1, 2) and a
     * bias; Relu; Conv 12→8 3×3, stride 2, auto_pad SAME_UPPER; then a pooled MatMul classifier.
     */
    static ModelProto awkwardGeometry(long seed, float[] firstKernel) {
        SplittableRandom r = new SplittableRandom(seed);
        return new OnnxModelBuilder("geometry", 13).input("x", -1, 5, 17, 13)
                .initializer("w0", firstKernel != null ? firstKernel
                        : OnnxModelBuilder.randomWeights(r, 12 * 5 * 15, 75), 12, 5, 3, 5)
                .initializer("b0", OnnxModelBuilder.randomWeights(r, 12, 5), 12)
                .node("Conv", List.of("x", "w0", "b0"), List.of("c0"), ints("kernel_shape", 3, 5),
                        ints("strides", 2, 1), ints("pads", 1, 2, 0, 1), ints("dilations", 1, 2))
                .node("Relu", List.of("c0"), List.of("a0"))
                .initializer("w1", OnnxModelBuilder.randomWeights(r, 8 * 12 * 9, 108), 8, 12, 3, 3)
                .node("Conv", List.of("a0", "w1"), List.of("c1"), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        AttributeProto.newBuilder().setName("auto_pad").setType(AttributeProto.AttributeType.STRING)
                                .setS(com.google.protobuf.ByteString.copyFromUtf8("SAME_UPPER")).build())
                .node("GlobalAveragePool", List.of("c1"), List.of("g"))
                .node("Flatten", List.of("g"), List.of("f"))
                .initializer("fc", OnnxModelBuilder.randomWeights(r, 8 * 4, 8), 8, 4)
                .node("MatMul", List.of("f", "fc"), List.of("y"))
                .output("y", -1, 4).build();
    }

    @Test
    void fullRankTuckerAndTensorTrainReproduceTheModel() throws InterruptedException {
        ModelProto model = awkwardGeometry(3, null);
        Map<String, Object> full = Map.of("energy", 1.0, "onlyIfSmaller", false, "skipFirstAndLast", false,
                "sensitivitySamples", 0);
        for (String method : List.of("tucker", "tt")) {
            CompressionResult r = compress(method, model, full);
            List<LayerReport> convs = r.layers().stream().filter(l -> l.opType().equals("Conv")).toList();
            assertThat(convs).hasSize(2).allMatch(LayerReport::factorized);
            assertThat(convs).allSatisfy(l -> assertThat(l.note()).contains("kernel relative error 0.0000"));
            double diff = Evaluator.compare(model, r.compressed(), Optional.empty(),
                    EvaluationOptions.defaults().withBatchSize(8)).maxAbsDiff();
            double ortVsInterpreter = OrtVsInterpreter.maxAbsDiff(r.compressed(), SAMPLE, 16);
            System.out.printf("%s at full rank: max |original - export| %.2e, ORT vs interpreter %.2e, notes %s%n",
                    method, diff, ortVsInterpreter, convs.stream().map(LayerReport::note).toList());
            assertThat(diff).isLessThanOrEqualTo(1e-4);
            assertThat(ortVsInterpreter).isLessThanOrEqualTo(1e-4);
            long convNodes = r.compressed().getGraph().getNodeList().stream()
                    .filter(n -> n.getOpType().equals("Conv")).count();
            assertThat(convNodes).isEqualTo(method.equals("tucker") ? 6 : 8);
            assertThat(r.compressed().getGraph().getInitializerList()).noneMatch(t -> t.getName().equals("w0")
                    || t.getName().equals("w1"));
        }
    }

    @Test
    void cpRecoversAKernelOfItsRankThroughDepthwiseAxisConvolutions() throws InterruptedException {
        // the first kernel is exactly rank 3: Σ_r a_r ⊗ b_r ⊗ c_r ⊗ d_r
        SplittableRandom r = new SplittableRandom(9);
        int rank = 3;
        double[][] a = gaussian(r, 12, rank);
        double[][] b = gaussian(r, 5, rank);
        double[][] c = gaussian(r, 3, rank);
        double[][] d = gaussian(r, 5, rank);
        float[] w = new float[12 * 5 * 15];
        for (int o = 0; o < 12; o++) {
            for (int i = 0; i < 5; i++) {
                for (int h = 0; h < 3; h++) {
                    for (int x = 0; x < 5; x++) {
                        double v = 0;
                        for (int k = 0; k < rank; k++) {
                            v += a[o][k] * b[i][k] * c[h][k] * d[x][k];
                        }
                        w[((o * 5 + i) * 3 + h) * 5 + x] = (float) (v * 0.3);
                    }
                }
            }
        }
        ModelProto model = awkwardGeometry(4, w);
        CompressionResult res = compress("cp", model, Map.of("ranks", Map.of("conv_0", List.of(3)),
                "layers", List.of("conv_0"), "alsIterations", 500, "sensitivitySamples", 0));
        LayerReport first = res.layers().get(0);
        System.out.println("cp on an exact rank-3 kernel: " + first.note());
        assertThat(first.factorized()).isTrue();
        assertThat(first.finalRank()).isEqualTo(3);
        assertThat(first.parametersAfter()).isEqualTo(3 * (5 + 3 + 5 + 12));
        assertThat(kernelError(first)).isLessThan(1e-4);
        List<NodeProto> convs = res.compressed().getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Conv")).toList();
        assertThat(convs).hasSize(5);
        assertThat(attr(convs.get(1), "group")).isEqualTo(3);
        assertThat(attr(convs.get(1), "kernel_shape")).isEqualTo(List.of(3L, 1L));
        assertThat(attr(convs.get(1), "strides")).isEqualTo(List.of(2L, 1L));
        assertThat(attr(convs.get(1), "pads")).isEqualTo(List.of(1L, 0L, 0L, 0L));
        assertThat(attr(convs.get(2), "kernel_shape")).isEqualTo(List.of(1L, 5L));
        assertThat(attr(convs.get(2), "dilations")).isEqualTo(List.of(1L, 2L));
        assertThat(attr(convs.get(2), "pads")).isEqualTo(List.of(0L, 2L, 0L, 1L));
        double diff = Evaluator.compare(model, res.compressed(), Optional.empty(),
                EvaluationOptions.defaults().withBatchSize(8)).maxAbsDiff();
        double ortVsInterpreter = OrtVsInterpreter.maxAbsDiff(res.compressed(), SAMPLE, 16);
        System.out.printf("cp rank 3: max |original - export| %.2e, ORT vs interpreter %.2e%n", diff,
                ortVsInterpreter);
        assertThat(diff).isLessThanOrEqualTo(1e-4);
        assertThat(ortVsInterpreter).isLessThanOrEqualTo(1e-4);
    }

    @Test
    void energyBoundsEachKernelsRelativeError() throws InterruptedException {
        ModelProto model = awkwardGeometry(5, null);
        for (String method : List.of("tucker", "cp", "tt")) {
            for (double energy : new double[] {0.6, 0.9}) {
                CompressionResult r = compress(method, model, Map.of("energy", energy, "onlyIfSmaller", false,
                        "skipFirstAndLast", false, "sensitivitySamples", 0));
                for (LayerReport l : r.layers().stream().filter(LayerReport::factorized).toList()) {
                    double error = kernelError(l);
                    System.out.printf("%s energy %.1f %s: %s%n", method, energy, l.node(), l.note());
                    assertThat(error).isLessThanOrEqualTo(Math.sqrt(1 - energy) + 1e-4);
                }
                assertThat(r.layers().stream().filter(LayerReport::factorized).count()).isEqualTo(2);
            }
        }
    }

    static double kernelError(LayerReport l) {
        return Double.parseDouble(l.note().replaceAll(".*kernel relative error ([0-9.]+).*", "$1"));
    }

    @Test
    void registryListsTheThreeMethods() {
        assertThat(CompressionMethods.all()).extracting(m -> m.descriptor().name())
                .contains("tucker", "cp", "tt");
        assertThat(CompressionMethods.get("cp").descriptor().parameters()).extracting(p -> p.name())
                .contains("ratio", "energy", "ranks", "fineTune", "sensitivitySamples", "alsIterations");
    }

    static CompressionResult compress(String method, ModelProto model, Map<String, Object> params)
            throws InterruptedException {
        return CompressionMethods.get(method).compress(new CompressionTask(model, params, Optional.empty(),
                Optional.empty()), ProgressListener.NONE);
    }

    private static Object attr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsCount() > 0 ? a.getIntsList() : (Object) (int) a.getI();
            }
        }
        return null;
    }

    private static double[][] gaussian(SplittableRandom r, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int k = 0; k < cols; k++) {
                row[k] = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
            }
        }
        return m;
    }
}
