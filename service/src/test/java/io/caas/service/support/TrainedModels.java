package io.caas.service.support;

import ai.djl.Device;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.data.DatasetInput;
import io.caas.engine.data.DatasetFormat;
import io.caas.engine.data.DatasetLimits;
import io.caas.engine.data.DatasetLoader;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.WeightExport;
import io.caas.engine.train.FineTuner;
import io.caas.engine.train.TrainingConfig;
import java.util.List;

/**
 * Classifiers trained on real Fashion-MNIST by the engine itself, the way a user's trained model arrives: an ONNX
 * file with learnt weights. Trained once per test JVM.
 */
public final class TrainedModels {

    private static byte[] fashionMlp;
    private static byte[] fashionCnn;
    private static byte[] fashionFusion;
    private static byte[] fashionBottleneckMlp;

    private TrainedModels() {
    }

    /** The 784→128→10 MLP of {@link SmallModels#fashionMlp}, after 400 Adam steps on the training split. */
    public static synchronized byte[] fashionMlp() throws Exception {
        if (fashionMlp == null) {
            fashionMlp = train(SmallModels.fashionMlp(128, 11), 400);
        }
        return fashionMlp;
    }

    /** The MLP with a 128→512→128 block of {@link SmallModels#fashionBottleneckMlp}, after 400 Adam steps. */
    public static synchronized byte[] fashionBottleneckMlp() throws Exception {
        if (fashionBottleneckMlp == null) {
            fashionBottleneckMlp = train(SmallModels.fashionBottleneckMlp(17), 400);
        }
        return fashionBottleneckMlp;
    }

    /** The CNN of {@link SmallModels#fashionCnn}, after 400 Adam steps on the training split. */
    public static synchronized byte[] fashionCnn() throws Exception {
        if (fashionCnn == null) {
            fashionCnn = train(SmallModels.fashionCnn(13), 400);
        }
        return fashionCnn;
    }

    /**
     * The two-input fusion model of {@link SmallModels#fashionFusion} (codes 24), after 400 Adam steps on the
     * training split, each image fed as its top and bottom halves.
     */
    public static synchronized byte[] fashionFusion() throws Exception {
        if (fashionFusion == null) {
            Dataset images = trainingSplit();
            Dataset halves = new Dataset("halves", new long[] {784}, images.features(), images.labels(),
                    images.classes(), List.of(new DatasetInput("top", new long[] {392}),
                            new DatasetInput("bottom", new long[] {392})));
            fashionFusion = train(SmallModels.fashionFusion(24, 17), halves, 400);
        }
        return fashionFusion;
    }

    private static Dataset trainingSplit() {
        return DatasetLoader.load(TestMaterial.fashionMnist("train-images-idx3-ubyte.gz"), DatasetFormat.IDX,
                DatasetLimits.defaults());
    }

    private static byte[] train(byte[] onnx, int steps) throws Exception {
        return train(onnx, trainingSplit(), steps);
    }

    private static byte[] train(byte[] onnx, Dataset train, int steps) throws Exception {
        ModelProto untrained = ModelProto.parseFrom(onnx);
        try (InterpretedModel model = OnnxInterpreter.load(untrained, Device.cpu())) {
            FineTuner.train(model, train, null, TrainingConfig.adam(1e-3f, 64, 1).withMaxSteps(steps),
                    ProgressListener.NONE);
            return WeightExport.withTrainedWeights(untrained, model.block()).toByteArray();
        }
    }
}
