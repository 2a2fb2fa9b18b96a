package io.caas.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph as a DJL block. Floating-point weights are {@link Parameter}s (so DJL's Trainer, GradientCollector
 * and optimizers see them, and each can be frozen); integer tensors, scalars and resampling arguments stay
 * constants. A forward pass borrows the weights into its own scratch manager, so passes over one block are
 * serialised.
 */
public final class OnnxBlock extends AbstractBlock {

    /** Inputs that carry sizes or bounds, never learnable data, even when stored as float tensors. */
    private static final Map<String, Set<Integer>> STATIC_INPUTS = Map.of(
            "Resize", Set.of(1, 2, 3), "Pad", Set.of(1, 2, 3), "Clip", Set.of(1, 2), "Dropout", Set.of(1, 2));

    private final OnnxGraph graph;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> constants = new LinkedHashMap<>();
    private final List<Step> plan = new ArrayList<>();
    private final Device device;

    private record Step(OnnxNode node, Operator operator, long opset) {
    }

    OnnxBlock(OnnxGraph graph, NDManager manager) {
        this.graph = graph;
        this.device = manager.getDevice();
        for (OnnxNode node : graph.nodes()) {
            if (!graph.isFolded(node)) {
                long opset = graph.opsets().getOrDefault(node.domain().equals("ai.onnx") ? "" : node.domain(), graph.opset());
                plan.add(new Step(node, OperatorRegistry.forNode(node), opset));
            }
        }
        Set<String> learnable = learnableWeights(graph);
        for (Map.Entry<String, TensorProto> w : graph.weights().entrySet()) {
            NDArray array = NDTensors.toNDArray(manager, w.getValue());
            if (learnable.contains(w.getKey())) {
                array.setName(w.getKey());
                Parameter p = Parameter.builder().setName(w.getKey()).setType(Parameter.Type.WEIGHT)
                        .optArray(array).build();
                parameters.put(w.getKey(), addParameter(p));
            } else {
                constants.put(w.getKey(), array);
            }
        }
    }

    private static Set<String> learnableWeights(OnnxGraph graph) {
        Map<String, Boolean> dataUse = new HashMap<>();
        for (OnnxNode node : graph.nodes()) {
            Set<Integer> fixed = STATIC_INPUTS.getOrDefault(node.opType(), Set.of());
            for (int i = 0; i < node.inputs().size(); i++) {
                dataUse.merge(node.inputs().get(i), !fixed.contains(i), Boolean::logicalOr);
            }
        }
        Set<String> out = new java.util.HashSet<>();
        for (Map.Entry<String, TensorProto> w : graph.weights().entrySet()) {
            TensorProto t = w.getValue();
            if (Tensors.isFloating(t) && Tensors.elementCount(t) > 1 && dataUse.getOrDefault(w.getKey(), false)) {
                out.add(w.getKey());
            }
        }
        return out;
    }

    public OnnxGraph graph() {
        return graph;
    }

    /** Learnable weights by ONNX value name (initializer or Constant output). */
    public Map<String, Parameter> weightParameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public Map<String, NDArray> constants() {
        return Collections.unmodifiableMap(constants);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return evaluate(ps, inputs, training, graph.outputs().stream().map(ValueInfo::name).toList());
    }

    /**
     * Runs the graph and returns the named values, graph outputs or intermediate ones (a layer's input, say), in
     * the order asked; they live on the inputs' manager like forward's outputs. Training mode keeps them on the
     * autograd tape.
     */
    public synchronized NDList evaluate(ParameterStore ps, NDList inputs, boolean training, List<String> names) {
        List<ValueInfo> declared = graph.inputs();
        if (inputs.size() != declared.size()) {
            throw new IllegalArgumentException("the model takes " + declared.size() + " inputs "
                    + declared.stream().map(ValueInfo::name).toList() + ", got " + inputs.size());
        }
        // A graph may take no inputs at all (a constant-only graph); its outputs then go to the store's manager.
        NDManager caller = inputs.isEmpty() ? ps.getManager() : inputs.head().getManager();
        // DJL's convention: compute on the inputs' device, the ParameterStore brings the weights there.
        Device target = inputs.isEmpty() ? device : inputs.head().getDevice();
        Map<NDArray, Boolean> borrowed = new IdentityHashMap<>();
        NDList results = new NDList();
        try (NDManager scratch = caller.newSubManager(target)) {
            Map<String, NDArray> env = new HashMap<>();
            for (int i = 0; i < declared.size(); i++) {
                env.put(declared.get(i).name(), borrow(inputs.get(i), scratch, target, borrowed));
            }
            for (Map.Entry<String, NDArray> c : constants.entrySet()) {
                env.put(c.getKey(), borrow(c.getValue(), scratch, target, borrowed));
            }
            for (Map.Entry<String, Parameter> p : parameters.entrySet()) {
                env.put(p.getKey(), borrow(ps.getValue(p.getValue(), target, training), scratch, target, borrowed));
            }
            for (Step step : plan) {
                run(step, env, scratch);
            }
            for (String name : names) {
                NDArray v = env.get(name);
                if (v == null) {
                    throw new IllegalArgumentException("value '" + name + "' is not computed by this graph");
                }
                results.add(borrowed.containsKey(v) ? v.duplicate() : v);
            }
            // Outputs outlive the scratch manager; every intermediate dies with it.
            results.attach(caller);
        }
        return results;
    }

    private static NDArray borrow(NDArray a, NDManager scratch, Device target, Map<NDArray, Boolean> borrowed) {
        if (!a.getDevice().equals(target)) {
            NDArray copy = a.toDevice(target, true);
            copy.attach(scratch);
            return copy;
        }
        a.tempAttach(scratch);
        borrowed.put(a, true);
        return a;
    }

    private void run(Step step, Map<String, NDArray> env, NDManager scratch) {
        OnnxNode node = step.node();
        List<NDArray> args = new ArrayList<>(node.inputs().size());
        for (String name : node.inputs()) {
            if (name.isEmpty()) {
                args.add(null);
                continue;
            }
            NDArray v = env.get(name);
            if (v == null) {
                throw new IllegalStateException(node.describe() + " reads '" + name + "', which is not computed yet");
            }
            args.add(v);
        }
        NDList out;
        try {
            out = step.operator().apply(new OpCall(node, step.opset(), args, scratch));
        } catch (UnsupportedOperatorException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalStateException(node.describe() + " failed: " + e.getMessage(), e);
        }
        for (int i = 0; i < node.outputs().size() && i < out.size(); i++) {
            String name = node.outputs().get(i);
            if (!name.isEmpty() && out.get(i) != null) {
                env.put(name, out.get(i));
            }
        }
    }

    /** Shapes by running the graph once on zeros: ONNX shapes are often symbolic, so this is the reliable way. */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        try (NDManager m = NDManager.newBaseManager(device, OnnxInterpreter.ENGINE)) {
            NDList zeros = new NDList();
            for (int i = 0; i < inputShapes.length; i++) {
                int type = graph.inputs().get(i).elementType();
                zeros.add(m.zeros(inputShapes[i], type == 0 ? DataType.FLOAT32 : NDTensors.toDjl(type)));
            }
            NDList out = forward(new ParameterStore(m, false), zeros, false);
            return out.getShapes();
        }
    }
}
