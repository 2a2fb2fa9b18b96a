package io.caas.engine.compress.ldr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.caas.engine.compress.CompressionTask;
import io.caas.engine.compress.ProgressListener;
import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.testing.FashionMnistModels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The interpreter's gradient with respect to the generators, against central differences of its forward pass. */
class StructuredGradientTest {

    @Test
    void gradientReachesEveryGeneratorCorrectly() throws Exception {
        Dataset images = FashionMnistModels.slice(FashionMnistModels.load(false), 0, 16, false);
        ModelProto model = new LdrMethod().compress(new CompressionTask(FashionMnistModels.mlp(3, 24, 40),
                Map.of("layers", List.of("gemm_1", "gemm_3")), Optional.empty(), Optional.empty()),
                ProgressListener.NONE).compressed();
        model = scaled(model, 20); // the closed-form fit of random weights is tiny; make the outputs depend on it
        for (String name : List.of("gemm_1/ldr_g", "gemm_1/ldr_h", "gemm_3/ldr_g", "gemm_3/ldr_h")) {
            float[] analytic = gradient(model, name, images);
            float largest = (float) Arrays.stream(toDoubles(analytic)).map(Math::abs).max().orElse(0);
            for (int k : new int[] {0, 5, 23}) {
                // a step of 1e-2: smaller ones drown in float32 rounding of the forward pass
                double numeric = (loss(perturbed(model, name, k, 1e-2f), images)
                        - loss(perturbed(model, name, k, -1e-2f), images)) / 2e-2;
                System.out.printf("d loss / d %s[%d]: autograd %.5f, central difference %.5f%n", name, k,
                        analytic[k], numeric);
                // within 5 % of the tensor's largest gradient: Relu kinks inside the ±1e-2 step (and float32 passes)
                // make single central differences off by up to ~15 % of their own size
                assertThat(analytic[k]).isCloseTo((float) numeric, org.assertj.core.data.Offset.offset(0.05f * largest));
            }
            assertThat(largest).isGreaterThan(0.1f);
        }
    }

    private static float[] gradient(ModelProto model, String name, Dataset images) {
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            ParameterStore ps = new ParameterStore(m.manager(), false);
            m.block().weightParameters().values().forEach(p -> p.getArray().setRequiresGradient(true));
            try (GradientCollector gc = Engine.getEngine(OnnxInterpreter.ENGINE).newGradientCollector()) {
                NDArray out = m.block().forward(ps, new NDList(input(nd, images)), true).head();
                gc.backward(out.square().sum());
            }
            return m.block().weightParameters().get(name).getArray().getGradient().toFloatArray();
        }
    }

    private static double loss(ModelProto model, Dataset images) {
        try (InterpretedModel m = OnnxInterpreter.load(model, Device.cpu());
             NDManager nd = m.manager().newSubManager()) {
            return m.forward(new NDList(input(nd, images))).head().toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                    .square().sum().getDouble();
        }
    }

    private static NDArray input(NDManager nd, Dataset images) {
        return nd.create(images.features(), new Shape(images.size(), 1, 28, 28));
    }

    private static ModelProto perturbed(ModelProto model, String name, int k, float delta) {
        return edited(model, name, v -> v[k] += delta);
    }

    private static ModelProto scaled(ModelProto model, float factor) {
        ModelProto m = model;
        for (String name : List.of("gemm_1/ldr_g", "gemm_3/ldr_g")) {
            m = edited(m, name, v -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] *= factor;
                }
            });
        }
        return m;
    }

    private static ModelProto edited(ModelProto model, String name, java.util.function.Consumer<float[]> edit) {
        ModelProto.Builder b = model.toBuilder();
        for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
            TensorProto t = b.getGraph().getInitializer(i);
            if (t.getName().equals(name)) {
                float[] v = Tensors.toFloats(t);
                edit.accept(v);
                b.getGraphBuilder().setInitializer(i, Tensors.floatTensor(name, v,
                        t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
            }
        }
        return b.build();
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
