package io.caas.engine.compress.ldr;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import io.caas.engine.runtime.InterpretedModel;
import io.caas.engine.runtime.OnnxInterpreter;
import io.caas.engine.runtime.TorchRuntime;
import io.caas.engine.runtime.WeightExport;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fits one structured layer to what the original layer computes on real inputs rather than to its weight: minimises
 * ‖X·Ŵ(G, H) + b − Y‖² / ‖Y‖² over the generators (and the bias) with Adam, full batch, from the closed-form fit.
 * A trained weight is far from any Toeplitz-like matrix (its nearest one is almost zero), but the layer only ever
 * sees inputs from a small part of its input space, and there a structured matrix can act much like the dense one.
 * The product goes through the graph the export writes, in the form fastest to train; both forms compute the same
 * product from the same generators, so what is fitted is what is exported.
 */
final class OutputFit {

    /**
     * @param blocks      the fitted generators, block (a, b) at a·q + b
     * @param bias        the fitted bias (same name and shape as the layer's), if it was fitted
     * @param errorBefore ‖XŴ + b − Y‖ / ‖Y‖ with the closed-form generators and the original bias
     * @param errorAfter  the same after the fit
     */
    record Result(List<Generators> blocks, Optional<TensorProto> bias, double errorBefore, double errorAfter) {
    }

    private OutputFit() {
    }

    /**
     * @param x       the layer's inputs, [samples, in]
     * @param y       the original layer's outputs on the original model's inputs, [samples, out]
     * @param fitBias train the bias too; else it stays as it is
     */
    static Result fit(LayerModel alone, StructuredExport.Layer closedForm, NDArray x, NDArray y, int steps,
                      double learningRate, boolean fitBias) throws InterruptedException {
        StructuredExport export = new StructuredExport(alone.model(), StructuredExport::fastestToTrain);
        ModelProto structured = export.apply(List.of(new StructuredExport.Layer(alone.layer(), closedForm.layout(),
                closedForm.structure(), closedForm.blocks())));
        List<String> generators = export.generatorNames().get(0);
        try (InterpretedModel m = OnnxInterpreter.load(structured, Device.cpu())) {
            Map<String, Parameter> params = m.block().weightParameters();
            alone.bias().filter(b -> !fitBias).map(params::get).ifPresent(p -> p.freeze(true));
            Optimizer adam = Optimizer.adam().optLearningRateTracker(steps < 2 ? Tracker.fixed((float) learningRate)
                    // decayed to 1 % so the last steps settle instead of hopping around the minimum
                    : Tracker.cosine().setBaseValue((float) learningRate).optFinalValue((float) learningRate / 100)
                    .setMaxUpdates(steps).build()).build();
            ParameterStore ps = new ParameterStore(m.manager(), false);
            Engine engine = TorchRuntime.engine();
            double yy = y.square().mean().getFloat();
            double before = Double.NaN;
            for (int step = 0; step < steps; step++) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("ldr cancelled while fitting generators to data");
                }
                try (NDManager scratch = x.getManager().newSubManager()) {
                    x.tempAttach(scratch);
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        NDArray out = m.block().forward(ps, new NDList(x), true).head();
                        NDArray loss = out.sub(y).square().mean().div((float) yy);
                        gc.backward(loss);
                        if (step == 0) {
                            before = Math.sqrt(loss.getFloat());
                        }
                    }
                    for (Parameter p : params.values()) {
                        if (p.requiresGradient()) {
                            NDArray grad = p.getArray().getGradient();
                            grad.attach(scratch);
                            adam.update(p.getId(), p.getArray(), grad);
                            grad.subi(grad);
                        }
                    }
                }
            }
            double after = relativeError(m, x, y, yy);
            ModelProto trained = WeightExport.withTrainedWeights(structured, m.block());
            Map<String, TensorProto> stored = new HashMap<>();
            trained.getGraph().getInitializerList().forEach(t -> stored.put(t.getName(), t));
            int r = closedForm.blocks().get(0).rank();
            BlockLayout layout = closedForm.layout();
            List<Generators> blocks = StructuredExport.blocksFrom(Tensors.toFloats(stored.get(generators.get(0))),
                    generators.size() > 1 ? Tensors.toFloats(stored.get(generators.get(1))) : null,
                    layout.p() * layout.q(), r, layout.n());
            Optional<TensorProto> bias = alone.bias().filter(b -> fitBias).map(stored::get);
            return new Result(blocks, bias, steps == 0 ? after : before, after);
        }
    }

    private static double relativeError(InterpretedModel m, NDArray x, NDArray y, double yy) {
        try (NDManager scratch = x.getManager().newSubManager()) {
            x.tempAttach(scratch);
            NDArray out = m.forward(new NDList(x)).head();
            return Math.sqrt(out.sub(y).square().mean().getFloat() / yy);
        }
    }
}
