package io.caas.engine.testing;

import ai.djl.Device;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetLimits;
import io.caas.engine.data.DatasetLoader;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainingConfig;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Fashion-MNIST from the test data and classifiers for it, trained with the engine's own fine-tuner. */
public final class FashionMnistModels {

    private FashionMnistModels() {
    }

    /** The real training (60,000) or test (10,000) split, labelled. */
    public static Dataset load(boolean train) {
        return DatasetLoader.load(TestData.fashionMnist(train ? "train-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz"),
                DatasetLimits.defaults());
    }

    /** Samples [from, to) of a dataset, labels kept (or dropped). */
    public static Dataset slice(Dataset d, int from, int to, boolean withLabels) {
        int per = d.sampleElements();
        float[] x = Arrays.copyOfRange(d.features(), from * per, to * per);
        int[] y = withLabels && d.labelled() ? Arrays.copyOfRange(d.labels(), from, to) : null;
        return new Dataset(d.name() + "[" + from + ":" + to + "]", d.sampleShape(), x, y, y == null ? 0 : d.classes(),
                d.inputs());
    }

    /**
     * Flatten then Gemm layers (weights out×in, transB=1, as PyTorch exports) with Relu between, He-initialised:
     * input "x" [N, 1, 28, 28], output logits "y" [N, 10].
     */
    public static ModelProto mlp(long seed, int... hidden) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("fashion-mlp", 13).input("x", -1, 1, 28, 28)
                .node("Flatten", List.of("x"), List.of("f"), OnnxModelBuilder.integer("axis", 1));
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = 784;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = 10;
        String prev = "f";
        for (int l = 0; l + 1 < sizes.length; l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            b.initializer("fc" + l + ".w", OnnxModelBuilder.randomWeights(r, in * out, in), out, in);
            b.initializer("fc" + l + ".b", new float[out], out);
            boolean last = l + 2 == sizes.length;
            String y = last ? "y" : "h" + l;
            b.node("Gemm", List.of(prev, "fc" + l + ".w", "fc" + l + ".b"), List.of(y),
                    OnnxModelBuilder.integer("transB", 1));
            if (!last) {
                b.node("Relu", List.of(y), List.of("a" + l));
                y = "a" + l;
            }
            prev = y;
        }
        return b.output("y", -1, 10).build();
    }

    /**
     * Conv(c1,3x3)-Relu-MaxPool-Conv(c2,3x3)-Relu-MaxPool-Flatten-Gemm(hidden)-Relu-Gemm(10), He-initialised;
     * the second conv's weight is a Constant node, as PaddlePaddle exports.
     */
    public static ModelProto cnn(long seed, int c1, int c2, int hidden) {
        SplittableRandom r = new SplittableRandom(seed);
        int flat = c2 * 7 * 7;
        return new OnnxModelBuilder("fashion-cnn", 13).input("x", -1, 1, 28, 28)
                .initializer("c1.w", OnnxModelBuilder.randomWeights(r, c1 * 9, 9), c1, 1, 3, 3)
                .initializer("c1.b", new float[c1], c1)
                .node("Conv", List.of("x", "c1.w", "c1.b"), List.of("c1"), OnnxModelBuilder.ints("kernel_shape", 3, 3),
                        OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
                .node("Relu", List.of("c1"), List.of("r1"))
                .node("MaxPool", List.of("r1"), List.of("p1"), OnnxModelBuilder.ints("kernel_shape", 2, 2),
                        OnnxModelBuilder.ints("strides", 2, 2))
                .constant("c2.w", OnnxModelBuilder.randomWeights(r, c2 * c1 * 9, c1 * 9), c2, c1, 3, 3)
                .initializer("c2.b", new float[c2], c2)
                .node("Conv", List.of("p1", "c2.w", "c2.b"), List.of("c2"), OnnxModelBuilder.ints("kernel_shape", 3, 3),
                        OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
                .node("Relu", List.of("c2"), List.of("r2"))
                .node("MaxPool", List.of("r2"), List.of("p2"), OnnxModelBuilder.ints("kernel_shape", 2, 2),
                        OnnxModelBuilder.ints("strides", 2, 2))
                .node("Flatten", List.of("p2"), List.of("f"), OnnxModelBuilder.integer("axis", 1))
                .initializer("fc1.w", OnnxModelBuilder.randomWeights(r, flat * hidden, flat), hidden, flat)
                .initializer("fc1.b", new float[hidden], hidden)
                .node("Gemm", List.of("f", "fc1.w", "fc1.b"), List.of("h"), OnnxModelBuilder.integer("transB", 1))
                .node("Relu", List.of("h"), List.of("a"))
                .initializer("fc2.w", OnnxModelBuilder.randomWeights(r, hidden * 10, hidden), 10, hidden)
                .initializer("fc2.b", new float[10], 10)
                .node("Gemm", List.of("a", "fc2.w", "fc2.b"), List.of("y"), OnnxModelBuilder.integer("transB", 1))
                .output("y", -1, 10).build();
    }

    /**
     * Conv(c1,3x3)-Relu-MaxPool-Conv(c2,3x3)-Relu-MaxPool-Flatten, then a stack of Gemm layers of the given widths
     * with Relu between, then Gemm(10), He-initialised: several dense layers in a row after convolutions.
     */
    public static ModelProto deepCnn(long seed, int c1, int c2, int... hidden) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("fashion-deep-cnn", 13).input("x", -1, 1, 28, 28);
        String prev = "x";
        int in = 1;
        int[] channels = {c1, c2};
        for (int i = 0; i < channels.length; i++) {
            int out = channels[i];
            b.initializer("conv" + i + ".w", OnnxModelBuilder.randomWeights(r, out * in * 9, in * 9), out, in, 3, 3)
                    .initializer("conv" + i + ".b", new float[out], out)
                    .node("Conv", List.of(prev, "conv" + i + ".w", "conv" + i + ".b"), List.of("c" + i),
                            OnnxModelBuilder.ints("kernel_shape", 3, 3), OnnxModelBuilder.ints("pads", 1, 1, 1, 1))
                    .node("Relu", List.of("c" + i), List.of("r" + i))
                    .node("MaxPool", List.of("r" + i), List.of("p" + i), OnnxModelBuilder.ints("kernel_shape", 2, 2),
                            OnnxModelBuilder.ints("strides", 2, 2));
            prev = "p" + i;
            in = out;
        }
        b.node("Flatten", List.of(prev), List.of("f"), OnnxModelBuilder.integer("axis", 1));
        prev = "f";
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = c2 * 7 * 7;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = 10;
        for (int l = 0; l + 1 < sizes.length; l++) {
            boolean last = l + 2 == sizes.length;
            b.initializer("fc" + l + ".w", OnnxModelBuilder.randomWeights(r, sizes[l] * sizes[l + 1], sizes[l]),
                            sizes[l + 1], sizes[l])
                    .initializer("fc" + l + ".b", new float[sizes[l + 1]], sizes[l + 1])
                    .node("Gemm", List.of(prev, "fc" + l + ".w", "fc" + l + ".b"), List.of(last ? "y" : "h" + l),
                            OnnxModelBuilder.integer("transB", 1));
            if (!last) {
                b.node("Relu", List.of("h" + l), List.of("a" + l));
                prev = "a" + l;
            }
        }
        return b.output("y", -1, 10).build();
    }

    /** Trains a model with the engine's fine-tuner (Adam, cross-entropy) and returns it as ONNX. */
    public static ModelProto train(ModelProto model, Dataset data, float learningRate, int batch, long steps)
            throws InterruptedException {
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu())) {
            FineTuner.train(m, data, null, TrainingConfig.adam(learningRate, batch, 1000).withMaxSteps(steps),
                    ProgressListener.NONE);
            return WeightExport.withTrainedWeights(model, m.block());
        }
    }

}
