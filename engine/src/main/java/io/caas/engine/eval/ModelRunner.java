package io.caas.engine.eval;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.TensorSpec;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX Runtime session, fed through its first graph input: float, or int64/int32 (token ids, given as
 * integral floats). Further inputs, if any, are fed with ones (attention mask "attend", token type 1), enough
 * for timing and for comparing two versions of one model. A model with several float inputs can instead be fed
 * from samples that hold every input's values one after the other (see {@link io.caas.engine.data.Dataset#inputs()}).
 */
public final class ModelRunner implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final TensorSpec input;
    private final List<TensorSpec> otherInputs;
    private final long[] sampleShape;
    private final boolean batchFixedToOne;
    private final List<DatasetInput> parts;

    /**
     * @param sampleShape shape of one sample (no batch dim) where the model's is symbolic; null to use the
     *                    model's own, symbolic dims then taken as 1
     */
    public ModelRunner(ModelProto model, int intraOpThreads, long[] sampleShape) {
        this(model, intraOpThreads, sampleShape, List.of());
    }

    /**
     * @param parts how each sample splits into the model's inputs, by name; empty to feed the first input alone
     */
    public ModelRunner(ModelProto model, int intraOpThreads, long[] sampleShape, List<DatasetInput> parts) {
        this(model, intraOpThreads, sampleShape, parts, null);
    }

    /**
     * @param profilePrefix where ONNX Runtime's profiler writes its JSON file (it appends a date and ".json"); null
     *                      for no profiling, which costs time on every node
     */
    ModelRunner(ModelProto model, int intraOpThreads, long[] sampleShape, List<DatasetInput> parts,
                Path profilePrefix) {
        this.parts = List.copyOf(parts);
        List<TensorSpec> inputs = ModelInspector.inspect(model).inputs();
        if (inputs.isEmpty()) {
            throw new EvaluationException("the model has no inputs");
        }
        this.input = inputs.get(0);
        if (!List.of("float", "int64", "int32").contains(input.elementType())) {
            throw new EvaluationException("model input '" + input.name() + "' is " + input.elementType()
                    + "; the evaluator feeds float, int64 or int32 inputs");
        }
        this.otherInputs = List.copyOf(inputs.subList(1, inputs.size()));
        this.batchFixedToOne = !input.shape().isEmpty() && Long.valueOf(1L).equals(input.shape().get(0));
        this.sampleShape = sampleShape != null ? sampleShape.clone() : modelSampleShape(input);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            if (profilePrefix != null) {
                options.enableProfiling(profilePrefix.toString());
            }
            this.session = env.createSession(model.toByteArray(), options);
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
        }
    }

    static long[] modelSampleShape(TensorSpec input) {
        if (input.shape().isEmpty()) {
            throw new EvaluationException("model input '" + input.name() + "' has no declared shape; give the "
                    + "sample shape");
        }
        return input.shape().subList(1, input.shape().size()).stream()
                .mapToLong(d -> d instanceof Long l ? l : 1L).toArray();
    }

    public long[] sampleShape() {
        return sampleShape.clone();
    }

    public int sampleElements() {
        return (int) Arrays.stream(sampleShape).reduce(1, Math::multiplyExact);
    }

    /** The first input takes integers (token ids), so features are rounded before they are fed. */
    public boolean integerInput() {
        return !input.elementType().equals("float");
    }

    public boolean batchFixedToOne() {
        return batchFixedToOne;
    }

    /**
     * Runs {@code batch} samples taken from {@code features} at {@code offset} (in samples) and returns the first
     * output, one flattened row per sample. A model fixed to batch 1 is run once per sample.
     */
    public float[][] run(float[] features, int offset, int batch) {
        if (batchFixedToOne && batch > 1) {
            float[][] rows = new float[batch][];
            for (int i = 0; i < batch; i++) {
                rows[i] = run(features, offset + i, 1)[0];
            }
            return rows;
        }
        long[] shape = batchShape(batch);
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed(feed, features, offset, batch);
            try (OrtSession.Result result = session.run(feed)) {
                return rows(result.get(0), batch);
            }
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime failed to run the model on input shape "
                    + Arrays.toString(shape) + ": " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    private long[] batchShape(int batch) {
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = batch;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return shape;
    }

    /** Every input's tensor for {@code batch} samples from {@code offset}, into {@code feed} (closed by the caller). */
    private void feed(Map<String, OnnxTensor> feed, float[] features, int offset, int batch) throws OrtException {
        int per = sampleElements();
        if (parts.isEmpty()) {
            long[] shape = batchShape(batch);
            feed.put(input.name(), tensor(features, offset * per, batch * per, shape));
            for (TensorSpec other : otherInputs) {
                feed.put(other.name(), ones(other, shape));
            }
        } else {
            feedParts(feed, features, offset, batch, per);
        }
    }

    /** Each input from its part of every sample in the batch. */
    private void feedParts(Map<String, OnnxTensor> feed, float[] features, int offset, int batch, int per)
            throws OrtException {
        int at = 0;
        for (DatasetInput part : parts) {
            int n = part.elements();
            float[] v = new float[batch * n];
            for (int i = 0; i < batch; i++) {
                System.arraycopy(features, (offset + i) * per + at, v, i * n, n);
            }
            long[] shape = new long[part.sampleShape().length + 1];
            shape[0] = batch;
            System.arraycopy(part.sampleShape(), 0, shape, 1, part.sampleShape().length);
            feed.put(part.name(), OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
            at += n;
        }
    }

    private OnnxTensor tensor(float[] features, int from, int count, long[] shape) throws OrtException {
        return switch (input.elementType()) {
            case "int64" -> {
                long[] v = new long[count];
                for (int i = 0; i < count; i++) {
                    v[i] = Math.round(features[from + i]);
                }
                yield OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape);
            }
            case "int32" -> {
                int[] v = new int[count];
                for (int i = 0; i < count; i++) {
                    v[i] = Math.round(features[from + i]);
                }
                yield OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(v), shape);
            }
            default -> OnnxTensor.createTensor(env, FloatBuffer.wrap(features, from, count).slice(), shape);
        };
    }

    /**
     * The shape a further input is fed at: the main input's where the ranks agree (an attention mask), else the
     * main input's batch and the declared dims, symbolic ones as 1.
     */
    static long[] otherInputShape(TensorSpec other, long[] mainShape) {
        if (other.shape().size() == mainShape.length) {
            return mainShape.clone();
        }
        long[] shape = new long[other.shape().size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = i == 0 ? mainShape[0] : other.shape().get(i) instanceof Long l ? Math.max(l, 1) : 1;
        }
        return shape;
    }

    /** Ones of {@link #otherInputShape}: attention masks attend everywhere, token types are all 1. */
    private OnnxTensor ones(TensorSpec other, long[] mainShape) throws OrtException {
        String name = other.name();
        TensorInfo info = (TensorInfo) session.getInputInfo().get(name).getInfo();
        long[] shape = otherInputShape(other, mainShape);
        int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        return switch (info.type) {
            case INT64 -> {
                long[] v = new long[n];
                Arrays.fill(v, 1);
                yield OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape);
            }
            case INT32 -> {
                int[] v = new int[n];
                Arrays.fill(v, 1);
                yield OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(v), shape);
            }
            case FLOAT -> {
                float[] v = new float[n];
                Arrays.fill(v, 1);
                yield OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
            }
            default -> throw new EvaluationException("model input '" + name + "' is " + info.type
                    + "; the evaluator can fill only float, int64 and int32 inputs");
        };
    }

    /**
     * Each output's shape as ONNX Runtime inferred it when it loaded the model, by name; a dim it could not tell
     * (one that depends on values) is -1.
     */
    Map<String, long[]> inferredOutputShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try {
            session.getOutputInfo().forEach((name, info) -> shapes.put(name,
                    info.getInfo() instanceof TensorInfo t ? t.getShape() : null));
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime cannot describe the model's outputs: " + e.getMessage(), e);
        }
        return shapes;
    }

    /** Runs one sample (the first of {@code sample}) and returns every output's actual shape, by name. */
    public Map<String, long[]> runOutputShapes(float[] sample) {
        return runOutputShapes(sample, 1);
    }

    /** As {@link #runOutputShapes(float[])}, for a batch of the first {@code batch} samples of {@code samples}. */
    public Map<String, long[]> runOutputShapes(float[] samples, int batch) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed(feed, samples, 0, batch);
            Map<String, long[]> shapes = new LinkedHashMap<>();
            try (OrtSession.Result result = session.run(feed)) {
                result.forEach(e -> shapes.put(e.getKey(),
                        e.getValue() instanceof OnnxTensor t ? t.getInfo().getShape() : null));
            }
            return shapes;
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime failed to run the model on input shape "
                    + Arrays.toString(batchShape(batch)) + ": " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /** Ends profiling and returns the file ONNX Runtime wrote; only for a runner made with a profile prefix. */
    Path endProfiling() {
        try {
            return Path.of(session.endProfiling());
        } catch (OrtException e) {
            throw new EvaluationException("ONNX Runtime could not end profiling: " + e.getMessage(), e);
        }
    }

    private static float[][] rows(OnnxValue value, int batch) {
        if (!(value instanceof OnnxTensor t) || t.getInfo().type != OnnxJavaType.FLOAT) {
            throw new EvaluationException("the model's first output is not a float tensor");
        }
        FloatBuffer buf = t.getFloatBuffer();
        int total = buf.remaining();
        if (total % batch != 0) {
            throw new EvaluationException("the first output has " + total + " values, not divisible by batch " + batch);
        }
        int per = total / batch;
        float[][] rows = new float[batch][per];
        for (float[] row : rows) {
            buf.get(row);
        }
        return rows;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new EvaluationException("cannot close the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
