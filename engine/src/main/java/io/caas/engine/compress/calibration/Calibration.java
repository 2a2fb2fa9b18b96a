package io.caas.engine.compress.calibration;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.caas.engine.compress.GraphEdits;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.onnx.proto.Onnx.TypeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.TorchRuntime;
import io.caas.engine.train.SampleInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Runs models on a fixed set of calibration samples and sums the second moments of chosen layers' inputs. The
 * samples are drawn at random without replacement (datasets often come sorted by class), with a fixed seed so that a
 * job gives the same factors each time it runs.
 */
public final class Calibration {

    /** Samples per forward pass: enough to keep the interpreter busy, few enough that conv patches stay small. */
    private static final int BATCH = 32;
    /** The input by which BERT-style token models mark real tokens (1) and padding (0). */
    private static final String ATTENTION_MASK = "attention_mask";

    private final Dataset data;
    private final int[] order;

    private Calibration(Dataset data, int[] order) {
        this.data = data;
        this.order = order;
    }

    /** {@code count} samples of {@code data} (all of them where it has fewer), drawn with {@code seed}. */
    public static Calibration of(Dataset data, int count, long seed) {
        int n = data.size();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int k = Math.min(count, n);
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] order = java.util.Arrays.copyOf(all, k);
        java.util.Arrays.sort(order); // the draw decides which samples, not the order they are read in
        return new Calibration(data, order);
    }

    /**
     * At most {@code count} of these samples, spread evenly over the draw (which is in dataset order, so the first
     * ones alone could all be of one class).
     */
    public Calibration limit(int count) {
        if (count >= order.length) {
            return this;
        }
        int[] kept = new int[count];
        for (int i = 0; i < count; i++) {
            kept[i] = order[(int) ((long) i * order.length / count)];
        }
        return new Calibration(data, kept);
    }

    public int samples() {
        return order.length;
    }

    /** The drawn samples' indices in the dataset, ascending. */
    public int[] sampleIndices() {
        return order.clone();
    }

    public String datasetName() {
        return data.name();
    }

    /** The probed layers' input statistics when {@code model} runs on the samples. */
    public List<LayerInputs> inputs(ModelProto model, List<LayerProbe> probes) throws InterruptedException {
        Probed probed = Probed.of(model, probes);
        double[][] grams = new double[probes.size()][];
        long[] rows = new long[probes.size()];
        try (InterpretedModel m = OnnxInterpreter.load(probed.model(), Device.cpu())) {
            int step = batchOf(m);
            for (int from = 0; from < order.length; from += step) {
                checkInterrupt();
                try (NDManager batch = m.manager().newSubManager()) {
                    NDList inputs = SampleInputs.of(m, data, order, from, Math.min(order.length, from + step), batch);
                    NDList values = m.values(inputs, probed.values());
                    NDArray mask = tokenMask(m, inputs);
                    for (int i = 0; i < probes.size(); i++) {
                        Rows r = rows(values.get(i), probes.get(i), mask);
                        grams[i] = add(grams[i], r.x().transpose().matMul(r.x()));
                        rows[i] += r.count();
                    }
                }
            }
        }
        List<LayerInputs> out = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            out.add(LayerInputs.of(probes.get(i).width(), grams[i], rows[i]));
        }
        return out;
    }

    /**
     * The probed layers' inputs in {@code current} (X'ᵀX') and their cross moment with the same layers' inputs in
     * {@code original} (X'ᵀX), both run on the same samples. The layers' input values must have the same names in
     * both graphs, as they do when {@code current} is {@code original} with other layers replaced.
     */
    public List<LayerInputs> pairedInputs(ModelProto original, ModelProto current, List<LayerProbe> probes)
            throws InterruptedException {
        Probed probedOriginal = Probed.of(original, probes);
        Probed probedCurrent = Probed.of(current, probes);
        double[][] grams = new double[probes.size()][];
        double[][] cross = new double[probes.size()][];
        long[] rows = new long[probes.size()];
        try (InterpretedModel a = OnnxInterpreter.load(probedOriginal.model(), Device.cpu());
             InterpretedModel b = OnnxInterpreter.load(probedCurrent.model(), Device.cpu())) {
            int step = batchOf(a);
            for (int from = 0; from < order.length; from += step) {
                checkInterrupt();
                try (NDManager batch = a.manager().newSubManager()) {
                    NDList inputs = SampleInputs.of(a, data, order, from, Math.min(order.length, from + step), batch);
                    NDList was = a.values(inputs, probedOriginal.values());
                    NDList now = b.values(inputs, probedCurrent.values());
                    NDArray mask = tokenMask(a, inputs);
                    for (int i = 0; i < probes.size(); i++) {
                        Rows r = rows(was.get(i), probes.get(i), mask);
                        NDArray xNow = rows(now.get(i), probes.get(i), mask).x();
                        NDArray nowT = xNow.transpose();
                        grams[i] = add(grams[i], nowT.matMul(xNow));
                        cross[i] = add(cross[i], nowT.matMul(r.x()));
                        rows[i] += r.count();
                    }
                }
            }
        }
        List<LayerInputs> out = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            out.add(new LayerInputs(probes.get(i).width(), grams[i], cross[i], rows[i]));
        }
        return out;
    }

    /**
     * Each candidate's error at the output against {@code original} on the samples: Σ‖y′ − y‖² / Σ‖y‖² over the
     * first graph output, a token model's padding positions left out. The original runs once; the candidates are
     * made and run one at a time, so only one is held at once.
     */
    public double[] outputErrors(ModelProto original, List<Supplier<ModelProto>> candidates)
            throws InterruptedException {
        List<float[]> reference = new ArrayList<>();
        double energy = 0;
        try (InterpretedModel a = OnnxInterpreter.load(original, Device.cpu())) {
            int step = batchOf(a);
            for (int from = 0; from < order.length; from += step) {
                checkInterrupt();
                try (NDManager batch = a.manager().newSubManager()) {
                    float[] y = firstOutput(a, from, step, batch);
                    for (float v : y) {
                        energy += (double) v * v;
                    }
                    reference.add(y);
                }
            }
        }
        double[] errors = new double[candidates.size()];
        for (int c = 0; c < candidates.size(); c++) {
            double sum = 0;
            try (InterpretedModel b = OnnxInterpreter.load(candidates.get(c).get(), Device.cpu())) {
                int step = batchOf(b);
                int k = 0;
                for (int from = 0; from < order.length; from += step, k++) {
                    checkInterrupt();
                    try (NDManager batch = b.manager().newSubManager()) {
                        float[] y = firstOutput(b, from, step, batch);
                        float[] ref = reference.get(k);
                        for (int i = 0; i < y.length; i++) {
                            double d = (double) y[i] - ref[i];
                            sum += d * d;
                        }
                    }
                }
            }
            errors[c] = energy > 0 ? sum / energy : sum;
        }
        return errors;
    }

    /**
     * How much each probed layer's output matters to the model's first output: G = JᵀJ summed over the samples'
     * positions (padding left out) and divided by their number, J the Jacobian of that output with respect to the
     * layer's output at one position. Each pass draws u ~ N(0, I) over the output and back-propagates u·y, which
     * gives δ = Jᵀu at every probed layer at once, and E[δδᵀ] = JᵀJ; {@code projections} passes per batch. A weight
     * change ΔW then moves the output by about ‖L^T·ΔW·G^½‖ (Kronecker-factored, as K-FAC approximates the Fisher
     * matrix), so truncating weighted by both sides keeps what the output needs, not merely what the layer's own
     * output holds. An entry is null where the output does not depend on the layer at all (nothing to weight by).
     */
    public List<double[]> outputGrams(ModelProto model, List<OutputProbe> probes, int projections)
            throws InterruptedException {
        ModelProto sensitized = sensitized(model, probes);
        List<String> values = probes.stream().map(OutputProbe::value).toList();
        double[][] grams = new double[probes.size()][];
        long[] rows = new long[probes.size()];
        SplittableRandom random = new SplittableRandom(PROJECTION_SEED);
        Engine engine = TorchRuntime.engine();
        try (InterpretedModel a = OnnxInterpreter.load(model, Device.cpu());
             InterpretedModel b = OnnxInterpreter.load(sensitized, Device.cpu())) {
            int step = batchOf(a);
            String output = a.outputNames().get(0);
            for (int from = 0; from < order.length; from += step) {
                checkInterrupt();
                try (NDManager batch = a.manager().newSubManager()) {
                    NDList inputs = SampleInputs.of(a, data, order, from, Math.min(order.length, from + step), batch);
                    NDList shapes = a.values(inputs, values);
                    NDArray mask = tokenMask(a, inputs);
                    for (int p = 0; p < projections; p++) {
                        NDList taps = new NDList();
                        for (NDArray v : shapes) {
                            NDArray tap = batch.zeros(v.getShape(), DataType.FLOAT32);
                            tap.setRequiresGradient(true);
                            taps.add(tap);
                        }
                        NDList all = new NDList(inputs);
                        all.addAll(taps);
                        try (GradientCollector gc = engine.newGradientCollector()) {
                            NDArray y = b.block().evaluate(new ParameterStore(b.manager(), false), all, false,
                                    List.of(output)).get(0).toType(DataType.FLOAT32, false);
                            NDArray u = gaussian(batch, y.getShape(), random);
                            NDArray keep = outputMask(y, mask);
                            gc.backward(y.mul(keep == null ? u : u.mul(keep)).sum());
                        }
                        for (int i = 0; i < probes.size(); i++) {
                            Rows d = outputRows(taps.get(i).getGradient(), probes.get(i), mask);
                            grams[i] = add(grams[i], d.x().transpose().matMul(d.x()));
                            if (p == 0) {
                                rows[i] += d.count();
                            }
                        }
                    }
                }
            }
        }
        List<double[]> out = new ArrayList<>();
        for (int k = 0; k < grams.length; k++) {
            double[] g = grams[k];
            int n = probes.get(k).width();
            double scale = 1.0 / ((double) projections * Math.max(1, rows[k]));
            double trace = 0;
            for (int i = 0; i < g.length; i++) {
                g[i] *= scale;
            }
            for (int i = 0; i < n; i++) {
                trace += g[i * n + i];
            }
            out.add(trace > 0 && Double.isFinite(trace) ? g : null);
        }
        return out;
    }

    /** Seeds the output projections, so that a job gives the same factors each time it runs. */
    private static final long PROJECTION_SEED = 0x5eed_0f_6a55L;

    private static NDArray gaussian(NDManager m, ai.djl.ndarray.types.Shape shape, SplittableRandom random) {
        float[] u = new float[Math.toIntExact(shape.size())];
        java.util.Random gaussian = new java.util.Random(random.nextLong());
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) gaussian.nextGaussian();
        }
        return m.create(u, shape);
    }

    /** For a token model's (batch, sequence, ...) output, 1 at real tokens and 0 at padding, shaped to broadcast. */
    private static NDArray outputMask(NDArray y, NDArray mask) {
        if (mask == null || y.getShape().dimension() < 2 || y.getShape().get(0) != mask.getShape().get(0)
                || y.getShape().get(1) != mask.getShape().get(1)) {
            return null;
        }
        NDArray keep = mask.neq(0).toType(DataType.FLOAT32, false);
        for (int i = 2; i < y.getShape().dimension(); i++) {
            keep = keep.expandDims(-1);
        }
        return keep;
    }

    /** A layer's output gradient as rows, one per sample or position, the layer's output side across. */
    private static Rows outputRows(NDArray d, OutputProbe probe, NDArray mask) {
        if (probe.conv()) {
            return Rows.all(channelsLast(d).reshape(-1, probe.width()));
        }
        Rows tokens = tokenRows(d, probe.width(), mask);
        return tokens != null ? tokens : Rows.all(d.reshape(-1, probe.width()));
    }

    /**
     * The model with a tap added to each probed value: the node writing it writes a new name, and an Add of that and
     * a new graph input (zeros of the same shape) writes the value again, so every reader is unchanged and the
     * gradient at the input is the gradient at the value.
     */
    private static ModelProto sensitized(ModelProto model, List<OutputProbe> probes) {
        GraphProto g = model.getGraph();
        Set<String> taken = GraphEdits.takenNames(g);
        java.util.Map<String, OutputProbe> byValue = new java.util.HashMap<>();
        probes.forEach(p -> byValue.put(p.value(), p));
        GraphProto.Builder out = g.toBuilder().clearNode();
        for (NodeProto node : g.getNodeList()) {
            OutputProbe p = node.getOutputCount() > 0 ? byValue.get(node.getOutput(0)) : null;
            if (p == null) {
                out.addNode(node);
                continue;
            }
            String before = GraphEdits.unique(taken, p.value() + "/untapped");
            String tap = GraphEdits.unique(taken, p.value() + "/sensitivity_tap");
            out.addNode(node.toBuilder().setOutput(0, before));
            out.addNode(NodeProto.newBuilder().setOpType("Add").setName(GraphEdits.unique(taken, p.node()
                    + "/sensitivity_tap")).addInput(before).addInput(tap).addOutput(p.value()));
            out.addInput(ValueInfoProto.newBuilder().setName(tap).setType(TypeProto.newBuilder().setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        }
        return model.toBuilder().setGraph(out).build();
    }

    /** The first graph output on samples [from, from + step), zero at a token model's padding positions. */
    private float[] firstOutput(InterpretedModel m, int from, int step, NDManager batch) {
        NDList inputs = SampleInputs.of(m, data, order, from, Math.min(order.length, from + step), batch);
        NDArray y = m.values(inputs, List.of(m.outputNames().get(0))).get(0);
        y = y.getDataType() == DataType.FLOAT32 ? y : y.toType(DataType.FLOAT32, false);
        NDArray keep = outputMask(y, tokenMask(m, inputs));
        return (keep == null ? y : y.mul(keep)).toFloatArray();
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("calibration cancelled");
        }
    }

    /** Samples per pass: one where the model declares a batch of 1 (it may not run on more), else {@link #BATCH}. */
    private static int batchOf(InterpretedModel m) {
        return m.block().graph().declaresBatchOfOne() ? 1 : BATCH;
    }

    /** A token model's attention mask for the batch ([batch, sequence]), or null for other models. */
    private static NDArray tokenMask(InterpretedModel m, NDList inputs) {
        int at = m.inputNames().indexOf(ATTENTION_MASK);
        return at < 0 || inputs.get(at).getShape().dimension() != 2 ? null : inputs.get(at);
    }

    /**
     * The value as rows x (one per sample, position or patch), float32. A token model's rows at padding positions
     * are dropped: they are computed but never used, and in short sentences padded to a common length they would
     * outnumber the real tokens and skew the statistics.
     */
    private static Rows rows(NDArray value, LayerProbe probe, NDArray mask) {
        NDArray v = value.getDataType() == DataType.FLOAT32 ? value : value.toType(DataType.FLOAT32, false);
        if (!probe.conv() && !probe.transposed()) {
            Rows tokens = tokenRows(v, probe.width(), mask);
            if (tokens != null) {
                return tokens;
            }
        }
        if (probe.transposed()) {
            return Rows.all(v.reshape(probe.width(), -1).transpose());
        }
        // a conv's patches (N, c·k, spatial...) → (N, spatial..., c·k): one row per output position
        return Rows.all((probe.conv() ? channelsLast(v) : v).reshape(-1, probe.width()));
    }

    /**
     * A token model's (batch, sequence, width) value as rows, those at padding positions zeroed and not counted: a
     * zero row adds nothing to the moments. Null where the value is not shaped so or there is no mask.
     */
    private static Rows tokenRows(NDArray v, int width, NDArray mask) {
        if (mask == null || v.getShape().dimension() != 3 || v.getShape().get(0) != mask.getShape().get(0)
                || v.getShape().get(1) != mask.getShape().get(1)) {
            return null;
        }
        NDArray keep = mask.reshape(-1, 1).neq(0).toType(DataType.FLOAT32, false);
        return new Rows(v.reshape(-1, width).mul(keep), (long) keep.sum().getFloat());
    }

    /** (N, C, spatial...) → (N, spatial..., C), so that flattening gives one row per position. */
    private static NDArray channelsLast(NDArray v) {
        int rank = v.getShape().dimension();
        int[] axes = new int[rank];
        axes[0] = 0;
        for (int i = 1; i < rank - 1; i++) {
            axes[i] = i + 1;
        }
        axes[rank - 1] = 1;
        return v.transpose(axes);
    }

    /** Rows x, of which {@code count} are real (the rest zero). */
    private record Rows(NDArray x, long count) {

        static Rows all(NDArray x) {
            return new Rows(x, x.getShape().get(0));
        }
    }

    /** Adds a float32 moment matrix into a double sum: float32 within a batch, double across batches. */
    private static double[] add(double[] sum, NDArray moment) {
        float[] m = moment.toFloatArray();
        double[] s = sum == null ? new double[m.length] : sum;
        for (int i = 0; i < m.length; i++) {
            s[i] += m[i];
        }
        return s;
    }

    /**
     * A model with each probed value made readable: a conv's input is turned into its patches by a depthwise conv
     * with one-hot kernels and the conv's own strides, pads and dilations, so output channel c·k + j holds input
     * channel c at kernel position j, the order of the conv's flattened weight.
     */
    private record Probed(ModelProto model, List<String> values) {

        static Probed of(ModelProto model, List<LayerProbe> probes) {
            GraphProto.Builder g = model.getGraph().toBuilder();
            Set<String> taken = GraphEdits.takenNames(model.getGraph());
            List<String> values = new ArrayList<>();
            for (LayerProbe p : probes) {
                if (!p.conv()) {
                    values.add(p.value());
                    continue;
                }
                long channels = p.kernel()[0];
                int positions = 1;
                long[] sizes = new long[p.kernel().length - 1];
                for (int i = 1; i < p.kernel().length; i++) {
                    sizes[i - 1] = p.kernel()[i];
                    positions *= Math.toIntExact(p.kernel()[i]);
                }
                int outChannels = Math.toIntExact(channels * positions);
                float[] oneHot = new float[outChannels * positions];
                for (int o = 0; o < outChannels; o++) {
                    oneHot[o * positions + o % positions] = 1f;
                }
                long[] dims = new long[sizes.length + 2];
                dims[0] = outChannels;
                dims[1] = 1;
                System.arraycopy(sizes, 0, dims, 2, sizes.length);
                String kernel = GraphEdits.unique(taken, p.node() + "/calibration_patch_kernel");
                String patches = GraphEdits.unique(taken, p.node() + "/calibration_patches");
                g.addInitializer(Tensors.floatTensor(kernel, oneHot, dims));
                NodeProto.Builder conv = NodeProto.newBuilder().setOpType("Conv")
                        .setName(GraphEdits.unique(taken, p.node() + "/calibration_patch"))
                        .addInput(p.value()).addInput(kernel).addOutput(patches);
                for (AttributeProto a : p.convNode().getAttributeList()) {
                    if (!a.getName().equals("group") && !a.getName().equals("kernel_shape")) {
                        conv.addAttribute(a);
                    }
                }
                conv.addAttribute(AttributeProto.newBuilder().setName("group")
                        .setType(AttributeProto.AttributeType.INT).setI(channels));
                AttributeProto.Builder shape = AttributeProto.newBuilder().setName("kernel_shape")
                        .setType(AttributeProto.AttributeType.INTS);
                for (long s : sizes) {
                    shape.addInts(s);
                }
                conv.addAttribute(shape);
                g.addNode(conv);
                values.add(patches);
            }
            return new Probed(model.toBuilder().setGraph(g).build(), values);
        }
    }
}
