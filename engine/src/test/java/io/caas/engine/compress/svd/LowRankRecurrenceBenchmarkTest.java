package io.caas.engine.compress.svd;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.caas.engine.eval.LayerTiming;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import io.caas.engine.runtime.TinyModels;
import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a low-rank R would cost in ONNX Runtime (docs/recurrent-layers.md): no ONNX form holds one inside an LSTM
 * node, so the recurrence is written out as a Scan whose body computes one step (gates = x_t·Wᵀ + h·Rᵀ + b, the
 * gate activations and the state update as separate nodes), the input projection of every step done before it as
 * one MatMul, as the LSTM kernel does. Timed against the LSTM node at two sizes and batch 1 and 32, in paired rounds
 * (1 thread): the Scan with R dense (what writing the recurrence out costs by itself) and with R = V·U at rank
 * hidden/4. The dense Scan form is first checked to compute what the LSTM node does.
 *
 * <p>Run: {@code mvn -B -o -pl engine -Pslow test -Dtest=LowRankRecurrenceBenchmarkTest}; figures in BENCHMARKS.md.
 */
@Tag("slow")
class LowRankRecurrenceBenchmarkTest {

    private static final int STEPS = 32;
    private static final int ROUNDS = 15;
    private static final int RUNS_PER_ROUND = 5;

    @Test
    void aScanWithLowRankRAgainstTheLstmNode() throws Exception {
        for (int hidden : new int[] {128, 512}) {
            int input = hidden;
            SplittableRandom r = new SplittableRandom(hidden);
            float[] w = uniform(r, 4 * hidden * input, input);
            float[] rr = uniform(r, 4 * hidden * hidden, hidden);
            float[] b = uniform(r, 8 * hidden, hidden);
            int rank = hidden / 4;
            float[] v = uniform(r, hidden * rank, hidden);
            float[] u = uniform(r, rank * 4 * hidden, rank);
            for (int batch : new int[] {1, 32}) {
                ModelProto lstm = lstm(w, rr, b, hidden, input);
                ModelProto denseScan = scan(w, rr, b, null, null, hidden, input, batch);
                ModelProto lowRankScan = scan(w, null, b, v, u, hidden, input, batch);
                long[] shape = {STEPS, batch, input};
                if (batch == 1) {
                    assertThat(maxAbsDiff(lstm, denseScan, shape)).as("the Scan form computes the LSTM")
                            .isLessThan(1e-4);
                }
                LayerTiming.Comparison dense = LayerTiming.compare(lstm, denseScan, shape, 1, ROUNDS, RUNS_PER_ROUND);
                LayerTiming.Comparison low = LayerTiming.compare(lstm, lowRankScan, shape, 1, ROUNDS, RUNS_PER_ROUND);
                System.out.printf(Locale.ROOT, "hidden %d, input %d, %d steps, batch %d: LSTM node p50 %.3f ms; "
                                + "Scan, R dense: p50 %.3f ms, median ratio %.2fx; Scan, R rank %d: p50 %.3f ms, "
                                + "median ratio %.2fx%n", hidden, input, STEPS, batch, dense.denseP50Ms(),
                        dense.otherP50Ms(), dense.medianRatio(), rank, low.otherP50Ms(), low.medianRatio());
            }
        }
    }

    /** LSTM(x, W, R, B), one direction, zero initial states; its Y. */
    private static ModelProto lstm(float[] w, float[] r, float[] b, int hidden, int input) {
        GraphProto g = GraphProto.newBuilder().setName("lstm")
                .addInput(seqInput(input))
                .addNode(TinyModels.node("LSTM", new String[] {"x", "W", "R", "B"}, new String[] {"y"},
                        TinyModels.intAttr("hidden_size", hidden)))
                .addInitializer(Tensors.floatTensor("W", w, new long[] {1, 4L * hidden, input}))
                .addInitializer(Tensors.floatTensor("R", r, new long[] {1, 4L * hidden, hidden}))
                .addInitializer(Tensors.floatTensor("B", b, new long[] {1, 8L * hidden}))
                .addOutput(floatOutput("y"))
                .build();
        return TinyModels.model(g, 14);
    }

    /**
     * The same recurrence as a Scan: x·Wᵀ + b for every step first, then one body run per step reading R (or V and
     * U) from the outer graph.
     */
    private static ModelProto scan(float[] w, float[] r, float[] b, float[] v, float[] u, int hidden, int input,
                                   int batch) {
        int gates = 4 * hidden;
        GraphProto.Builder body = GraphProto.newBuilder().setName("step")
                .addInput(TinyModels.floatTensor("h", batch, hidden))
                .addInput(TinyModels.floatTensor("c", batch, hidden))
                .addInput(TinyModels.floatTensor("xt", batch, gates));
        if (r != null) {
            body.addNode(TinyModels.node("MatMul", new String[] {"h", "RT"}, new String[] {"hr"}));
        } else {
            body.addNode(TinyModels.node("MatMul", new String[] {"h", "V"}, new String[] {"hv"}));
            body.addNode(TinyModels.node("MatMul", new String[] {"hv", "U"}, new String[] {"hr"}));
        }
        body.addNode(TinyModels.node("Add", new String[] {"xt", "hr"}, new String[] {"g"}))
                .addNode(TinyModels.node("Split", new String[] {"g"}, new String[] {"gi", "go", "gf", "gc"},
                        TinyModels.intAttr("axis", 1)))
                .addNode(TinyModels.node("Sigmoid", new String[] {"gi"}, new String[] {"i"}))
                .addNode(TinyModels.node("Sigmoid", new String[] {"go"}, new String[] {"o"}))
                .addNode(TinyModels.node("Sigmoid", new String[] {"gf"}, new String[] {"f"}))
                .addNode(TinyModels.node("Tanh", new String[] {"gc"}, new String[] {"ct"}))
                .addNode(TinyModels.node("Mul", new String[] {"f", "c"}, new String[] {"fc"}))
                .addNode(TinyModels.node("Mul", new String[] {"i", "ct"}, new String[] {"ic"}))
                .addNode(TinyModels.node("Add", new String[] {"fc", "ic"}, new String[] {"c1"}))
                .addNode(TinyModels.node("Tanh", new String[] {"c1"}, new String[] {"tc"}))
                .addNode(TinyModels.node("Mul", new String[] {"o", "tc"}, new String[] {"h1"}))
                .addNode(TinyModels.node("Identity", new String[] {"h1"}, new String[] {"y1"}))
                .addOutput(TinyModels.floatTensor("h1", batch, hidden))
                .addOutput(TinyModels.floatTensor("c1", batch, hidden))
                .addOutput(TinyModels.floatTensor("y1", batch, hidden));
        float[] bias = new float[gates];
        for (int k = 0; k < gates; k++) {
            bias[k] = b[k] + b[gates + k];
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("scan").addInput(seqInput(input))
                .addNode(TinyModels.node("MatMul", new String[] {"x", "WT"}, new String[] {"xw"}))
                .addNode(TinyModels.node("Add", new String[] {"xw", "bias"}, new String[] {"xwb"}))
                .addNode(NodeProto.newBuilder().setOpType("Scan").addInput("h0").addInput("c0").addInput("xwb")
                        .addOutput("hn").addOutput("cn").addOutput("y")
                        .addAttribute(TinyModels.intAttr("num_scan_inputs", 1))
                        .addAttribute(AttributeProto.newBuilder().setName("body")
                                .setType(AttributeProto.AttributeType.GRAPH).setG(body)))
                .addInitializer(Tensors.floatTensor("WT", transpose(w, gates, input), new long[] {input, gates}))
                .addInitializer(Tensors.floatTensor("bias", bias, new long[] {gates}))
                .addInitializer(Tensors.floatTensor("h0", new float[batch * hidden], new long[] {batch, hidden}))
                .addInitializer(Tensors.floatTensor("c0", new float[batch * hidden], new long[] {batch, hidden}))
                .addOutput(floatOutput("y"));
        if (r != null) {
            g.addInitializer(Tensors.floatTensor("RT", transpose(r, gates, hidden), new long[] {hidden, gates}));
        } else {
            int rank = v.length / hidden;
            g.addInitializer(Tensors.floatTensor("V", v, new long[] {hidden, rank}));
            g.addInitializer(Tensors.floatTensor("U", u, new long[] {rank, gates}));
        }
        return TinyModels.model(g.build(), 14);
    }

    private static ValueInfoProto floatOutput(String name) {
        ValueInfoProto v = TinyModels.floatTensor(name);
        return v.toBuilder().setType(v.getType().toBuilder().setTensorType(v.getType().getTensorType().toBuilder()
                .clearShape())).build();
    }

    /** x: [steps, batch, input] with a symbolic batch. */
    private static ValueInfoProto seqInput(int input) {
        ValueInfoProto v = TinyModels.floatTensor("x", STEPS, 1, input);
        var shape = v.getType().getTensorType().getShape().toBuilder();
        shape.setDim(1, shape.getDim(1).toBuilder().clearDimValue().setDimParam("batch"));
        return v.toBuilder().setType(v.getType().toBuilder().setTensorType(v.getType().getTensorType().toBuilder()
                .setShape(shape))).build();
    }

    private static double maxAbsDiff(ModelProto a, ModelProto b, long[] shape) throws Exception {
        float[] x = uniform(new SplittableRandom(3), Math.toIntExact(shape[0] * shape[1] * shape[2]), 1);
        float[] ya = run(a, x, shape);
        float[] yb = run(b, x, shape);
        assertThat(ya).hasSameSizeAs(yb);
        double max = 0;
        for (int i = 0; i < ya.length; i++) {
            max = Math.max(max, Math.abs(ya[i] - yb[i]));
        }
        return max;
    }

    private static float[] run(ModelProto model, float[] x, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
             OrtSession.Result out = s.run(Map.of("x", t))) {
            OnnxTensor y = (OnnxTensor) out.get(0);
            FloatBuffer f = y.getFloatBuffer();
            float[] values = new float[f.remaining()];
            f.get(values);
            return values;
        }
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }

    /** U(-1/√fanIn, 1/√fanIn), as PyTorch initialises an LSTM. */
    private static float[] uniform(SplittableRandom r, int n, int fanIn) {
        float[] x = new float[n];
        double bound = 1 / Math.sqrt(fanIn);
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return x;
    }
}
