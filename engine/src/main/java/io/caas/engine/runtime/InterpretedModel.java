package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Map;

/** A loaded ONNX model ready to run: its block, the manager owning the weights, and inference helpers. */
public final class InterpretedModel implements AutoCloseable {

    private final NDManager manager;
    private final OnnxBlock block;

    InterpretedModel(NDManager manager, OnnxBlock block) {
        this.manager = manager;
        this.block = block;
    }

    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    public OnnxBlock block() {
        return block;
    }

    public List<String> inputNames() {
        return block.graph().inputs().stream().map(ValueInfo::name).toList();
    }

    public List<String> outputNames() {
        return block.graph().outputs().stream().map(ValueInfo::name).toList();
    }

    /**
     * Runs in inference mode, without autograd recording (whatever the thread's mode, which is back as it was after):
     * no graph or saved tensors kept with the outputs, and operators may take forms that have no gradient (max pools
     * as maxima over strided slices). Training runs {@code block().forward(ps, inputs, true)} instead. Inputs in
     * graph-input order, outputs in graph-output order on the inputs' manager. Inputs on another device (CPU arrays for
     * a GPU model) are copied to the model's device first.
     */
    public NDList forward(NDList inputs) {
        return values(inputs, outputNames());
    }

    /**
     * Like {@link #forward(NDList)}, but returns the named values of the graph, intermediate ones included (the
     * input a layer sees, for instance), in the order asked.
     */
    public NDList values(NDList inputs, List<String> names) {
        try (GradMode off = GradMode.off()) {
            return valuesWithoutAutograd(inputs, names);
        }
    }

    private NDList valuesWithoutAutograd(NDList inputs, List<String> names) {
        if (inputs.isEmpty() || inputs.stream().allMatch(a -> a.getDevice().equals(device()))) {
            return block.evaluate(new ParameterStore(manager, false), inputs, false, names);
        }
        NDManager caller = inputs.head().getManager();
        try (NDManager onDevice = caller.newSubManager(device())) {
            NDList moved = new NDList();
            for (NDArray a : inputs) {
                NDArray m = a.getDevice().equals(device()) ? a : a.toDevice(device(), true);
                if (m != a) {
                    m.attach(onDevice);
                }
                moved.add(m);
            }
            NDList out = block.evaluate(new ParameterStore(manager, false), moved, false, names);
            out.attach(caller);
            return out;
        }
    }

    public NDList forward(Map<String, NDArray> inputs) {
        NDList ordered = new NDList();
        for (String name : inputNames()) {
            NDArray v = inputs.get(name);
            if (v == null) {
                throw new IllegalArgumentException("missing input '" + name + "'; the model takes " + inputNames());
            }
            ordered.add(v);
        }
        return forward(ordered);
    }

    @Override
    public void close() {
        manager.close();
    }
}
