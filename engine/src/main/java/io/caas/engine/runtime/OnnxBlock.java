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
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
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
    private final Device device;
    private final PackedWeights packed;
    /*
     * The graph resolved once into numbered value slots, so that a forward pass indexes an array instead of
     * hashing value names: slot of each graph input, constant and parameter (in the maps' order), each node's
     * input and output slots, and each graph output's.
     */
    private final ValueSlots slots = new ValueSlots();
    private final int[] inputSlots;
    private final int[] constantSlots;
    private final int[] parameterSlots;
    private final List<Step> plan = new ArrayList<>();
    private final int[] outputSlots;
    private final List<String> outputNames;
    /*
     * Steps of the main plan whose values follow from the inputs' shapes and the constants alone (Shape, and what
     * is computed from shapes and constants only: the Gather/Unsqueeze/Concat chains that exporters write to build
     * reshape targets and masks). Their values are kept per input shape, so a pass with shapes seen before runs
     * only the steps that read data or weights.
     */
    private final boolean[] shapeOnly;
    private final NDManager shapeValuesManager;
    private final Map<List<Object>, NDArray[]> shapeValues = new LinkedHashMap<>(16, 0.75f, true);
    private int lastPassOperators;
    /** Where training passes read embedding tables by rows; null while none does. */
    private GatheredRows gatheredRows;

    /**
     * One node to run: slot -1 for an omitted optional input or output (an empty name); the plans of its
     * subgraphs by attribute name.
     */
    private record Step(OnnxNode node, Operator operator, long opset, int[] inputs, int[] outputs,
                        Map<String, Plan> subplans) {
    }

    /** A subgraph resolved like the main graph: its steps, and the slots of its formal inputs and of its outputs. */
    private record Plan(List<Step> steps, int[] inputs, int[] outputs) {
    }

    OnnxBlock(OnnxGraph graph, NDManager manager) {
        this(graph, manager, true);
    }

    /** @param fused whether the main graph runs the operator chains {@link FusedPatterns} knows as one operator each */
    OnnxBlock(OnnxGraph graph, NDManager manager, boolean fused) {
        this.graph = graph;
        this.device = manager.getDevice();
        Set<String> learnable = learnableWeights(graph);
        Map<String, NDArray> learnableArrays = new LinkedHashMap<>();
        for (Map.Entry<String, TensorProto> w : graph.weights().entrySet()) {
            NDArray array = NDTensors.toNDArray(manager, w.getValue());
            if (learnable.contains(w.getKey())) {
                array.setName(w.getKey());
                learnableArrays.put(w.getKey(), array);
            } else {
                constants.put(w.getKey(), array);
            }
        }
        packed = PackedWeights.pack(learnableArrays, manager);
        learnableArrays.forEach((name, array) -> parameters.put(name, addParameter(
                Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(array).build())));
        inputSlots = slots.of(graph.inputs().stream().map(ValueInfo::name).toList());
        constantSlots = slots.of(constants.keySet());
        parameterSlots = slots.of(parameters.keySet());
        outputNames = graph.outputs().stream().map(ValueInfo::name).toList();
        plan.addAll(steps(fused ? FusedPatterns.fuse(graph.nodes(), graph.weights(), new HashSet<>(outputNames))
                : graph.nodes()));
        outputSlots = slots.of(outputNames);
        shapeOnly = shapeOnlySteps();
        shapeValuesManager = manager.newSubManager();
    }

    /** Operators whose result is not a function of their inputs, or depends on training mode. */
    private static final Set<String> NOT_PURE = Set.of("RandomNormal", "RandomNormalLike", "RandomUniform",
            "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout", "BatchNormalization");
    /** Operators that read only their input's shape (and type), never its values. */
    private static final Set<String> SHAPE_READERS = Set.of("Shape", "Size");
    /** Operators whose output shape follows from their inputs' shapes and attributes alone. */
    private static final Set<String> SHAPE_FOLLOWS_SHAPES = Set.of("Abs", "Add", "And", "BatchNormalization", "Cast",
            "CastLike", "Ceil", "Clip", "Concat", "Conv", "ConvTranspose", "Cos", "Div", "Dropout", "Einsum", "Elu",
            "Equal", "Erf", "Exp", "Flatten", "Floor", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "GlobalMaxPool",
            "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish", "Identity", "InstanceNormalization",
            "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "MatMul", "Max",
            "MaxPool", "AveragePool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg", "Not", "Or", "PRelu", "Pow",
            "Reciprocal", "Relu", "Round", "Shape", "Sigmoid", "Sign", "Sin", "Size", "Softmax", "Softplus", "Softsign",
            "Sqrt", "Sub", "Sum", "Tanh", "Transpose", "Where", "Xor", "DepthToSpace", "SpaceToDepth",
            "LpNormalization");
    /**
     * Operators whose output shape follows from their first input's shape and the values of the others (a reshape
     * target, slice bounds, axes): known where those values are.
     */
    private static final Set<String> SHAPE_FOLLOWS_VALUES = Set.of("Reshape", "Expand", "Slice", "Squeeze",
            "Unsqueeze", "Split", "Tile", "Pad", "Resize", "TopK", "OneHot", "ReduceMean", "ReduceSum", "ReduceMax",
            "ReduceMin", "ReduceProd", "ReduceL2", "ReduceSumSquare", "ConstantOfShape", "Range");
    /** Shapes kept at once; a model fed a new shape past this forgets the least recently used one. */
    private static final int SHAPES_KEPT = 8;

    /**
     * Which steps give the same values for every pass with the same input shapes: pure operators whose inputs are
     * constants or such values, and Shape/Size of a value whose shape follows from the input shapes (not of one
     * whose shape depends on data, as NonZero's output does).
     */
    private boolean[] shapeOnlySteps() {
        Set<Integer> fixedValue = new HashSet<>();
        Set<Integer> knownShape = new HashSet<>();
        for (int slot : constantSlots) {
            fixedValue.add(slot);
            knownShape.add(slot);
        }
        Arrays.stream(inputSlots).forEach(knownShape::add);
        Arrays.stream(parameterSlots).forEach(knownShape::add);
        boolean[] out = new boolean[plan.size()];
        for (int i = 0; i < plan.size(); i++) {
            Step step = plan.get(i);
            String op = step.node().opType();
            String domain = step.node().domain();
            boolean standard = step.subplans().isEmpty() && (domain.isEmpty() || domain.equals("ai.onnx"));
            int[] in = step.inputs();
            boolean shapesKnown = Arrays.stream(in).allMatch(slot -> slot < 0 || knownShape.contains(slot));
            boolean valuesFixed = Arrays.stream(in).allMatch(slot -> slot < 0 || fixedValue.contains(slot));
            boolean controlsFixed = Arrays.stream(in).skip(op.equals("ConstantOfShape") || op.equals("Range") ? 0 : 1)
                    .allMatch(slot -> slot < 0 || fixedValue.contains(slot));
            if (standard && !NOT_PURE.contains(op) && (valuesFixed
                    || SHAPE_READERS.contains(op) && in.length > 0 && in[0] >= 0 && knownShape.contains(in[0]))) {
                out[i] = true;
                Arrays.stream(step.outputs()).filter(slot -> slot >= 0).forEach(fixedValue::add);
            }
            // a fused node's shape follows from its inputs' shapes, as the chain's it replaced did (MatMul then Add)
            boolean fused = FusedPatterns.operator(step.node()) != null;
            boolean shapeFollows = fused || standard && (SHAPE_FOLLOWS_SHAPES.contains(op)
                    || SHAPE_FOLLOWS_VALUES.contains(op) && controlsFixed);
            if (shapesKnown && shapeFollows || out[i]) {
                Arrays.stream(step.outputs()).filter(slot -> slot >= 0).forEach(knownShape::add);
            }
        }
        return out;
    }

    /**
     * From now on, training passes read the tables of {@code rows} through it: their Gathers read leaf copies of the
     * rows named, so the tables themselves get no gradient (see {@link GatheredRows}). Null returns to reading the
     * tables directly.
     */
    public synchronized void recordGatheredRows(GatheredRows rows) {
        this.gatheredRows = rows;
    }

    /** How many operators the last pass ran: the plan's, less the steps whose values were kept for its shapes. */
    public synchronized int operatorsRunPerPass() {
        return lastPassOperators;
    }

    private List<Step> steps(List<OnnxNode> nodes) {
        List<Step> steps = new ArrayList<>();
        for (OnnxNode node : nodes) {
            if (!graph.isFolded(node)) {
                long opset = graph.opsets().getOrDefault(node.domain().equals("ai.onnx") ? "" : node.domain(), graph.opset());
                Map<String, Plan> subplans = new HashMap<>();
                node.subgraphs().forEach((attribute, g) -> subplans.put(attribute,
                        new Plan(steps(g.nodes()), slots.of(g.inputs()), slots.of(g.outputs()))));
                steps.add(new Step(node, OperatorRegistry.forNode(node), opset, slots.of(node.inputs()),
                        slots.of(node.outputs()), Map.copyOf(subplans)));
            }
        }
        return steps;
    }

    private static Set<String> learnableWeights(OnnxGraph graph) {
        Map<String, Boolean> dataUse = new HashMap<>();
        for (OnnxNode node : (Iterable<OnnxNode>) graph.allNodes()::iterator) {
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

    /** How the small learnable weights share one array (see {@link PackedWeights}). */
    public PackedWeights packedWeights() {
        return packed;
    }

    /** The operator of each step the main graph runs, in order (fused chains as their one operator). */
    List<String> plannedOperators() {
        return plan.stream().map(s -> s.node().opType()).toList();
    }

    public Map<String, NDArray> constants() {
        return Collections.unmodifiableMap(constants);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return evaluate(ps, inputs, training, outputSlots, outputNames);
    }

    /**
     * Runs the graph and returns the named values, graph outputs or intermediate ones (a layer's input, say), in
     * the order asked; they live on the inputs' manager like forward's outputs. Training mode keeps them on the
     * autograd tape.
     */
    public NDList evaluate(ParameterStore ps, NDList inputs, boolean training, List<String> names) {
        return evaluate(ps, inputs, training, names.stream().mapToInt(slots::find).toArray(), names);
    }

    private synchronized NDList evaluate(ParameterStore ps, NDList inputs, boolean training, int[] wanted,
                                         List<String> names) {
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
            NDArray[] values = new NDArray[slots.size()];
            for (int i = 0; i < inputSlots.length; i++) {
                values[inputSlots[i]] = borrow(inputs.get(i), scratch, target, borrowed);
            }
            int c = 0;
            for (NDArray constant : constants.values()) {
                values[constantSlots[c++]] = borrow(constant, scratch, target, borrowed);
            }
            int p = 0;
            for (Parameter parameter : parameters.values()) {
                values[parameterSlots[p++]] = borrow(ps.getValue(parameter, target, training), scratch, target, borrowed);
            }
            List<Object> shapes = shapesOf(inputs, target);
            NDArray[] kept = shapeValues.get(shapes);
            NDArray[] keeping = kept == null ? new NDArray[slots.size()] : null;
            int ran = 0;
            for (int s = 0; s < plan.size(); s++) {
                Step step = plan.get(s);
                if (kept != null && shapeOnly[s]) {
                    for (int slot : step.outputs()) {
                        if (slot >= 0 && kept[slot] != null) {
                            values[slot] = borrow(kept[slot], scratch, target, borrowed);
                        }
                    }
                    continue;
                }
                run(step, values, scratch, training ? gatheredRows : null);
                ran++;
                if (keeping != null && shapeOnly[s]) {
                    for (int slot : step.outputs()) {
                        if (slot >= 0 && values[slot] != null) {
                            NDArray copy = values[slot].duplicate();
                            copy.attach(shapeValuesManager);
                            keeping[slot] = copy;
                        }
                    }
                }
            }
            if (keeping != null) {
                keep(shapes, keeping);
            }
            lastPassOperators = ran;
            for (int i = 0; i < wanted.length; i++) {
                NDArray v = wanted[i] < 0 ? null : values[wanted[i]];
                if (v == null) {
                    throw new IllegalArgumentException("value '" + names.get(i) + "' is not computed by this graph");
                }
                results.add(borrowed.containsKey(v) ? v.duplicate() : v);
            }
            // Outputs outlive the scratch manager; every intermediate dies with it.
            results.attach(caller);
        }
        return results;
    }

    /** A Gather whose data is a table read by rows (its axis is 0: {@link GatheredRows#eligible} chose the table). */
    private static boolean readsGatheredRows(Step step, GatheredRows rows) {
        return step.node().opType().equals("Gather") && step.inputs().length == 2
                && rows.covers(step.node().inputs().get(0));
    }

    /** The key of the values kept for a pass: each input's shape and type, and the device it runs on. */
    private static List<Object> shapesOf(NDList inputs, Device target) {
        List<Object> key = new ArrayList<>();
        key.add(target);
        for (NDArray a : inputs) {
            key.add(a.getShape());
            key.add(a.getDataType());
        }
        return key;
    }

    private void keep(List<Object> shapes, NDArray[] values) {
        shapeValues.put(shapes, values);
        if (shapeValues.size() > SHAPES_KEPT) {
            var eldest = shapeValues.entrySet().iterator().next();
            for (NDArray a : eldest.getValue()) {
                if (a != null) {
                    a.close();
                }
            }
            shapeValues.remove(eldest.getKey());
        }
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

    /** @param rows where this pass reads embedding tables by rows; null for a pass that reads them directly */
    private void run(Step step, NDArray[] values, NDManager scratch, GatheredRows rows) {
        OnnxNode node = step.node();
        NDArray[] args = new NDArray[step.inputs().length];
        for (int i = 0; i < args.length; i++) {
            int slot = step.inputs()[i];
            if (slot < 0) {
                continue;
            }
            args[i] = values[slot];
            if (args[i] == null) {
                throw new IllegalStateException(node.describe() + " reads '" + node.inputs().get(i)
                        + "', which is not computed yet");
            }
        }
        NDList out;
        try {
            out = rows != null && readsGatheredRows(step, rows)
                    ? new NDList(rows.gather(node.inputs().get(0), args[0], args[1], scratch))
                    : step.operator().apply(new OpCall(node, step.opset(), Arrays.asList(args), scratch,
                            (attribute, inputs) -> runPlan(step.subplans().get(attribute), inputs, values, scratch)));
        } catch (UnsupportedOperatorException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalStateException(node.describe() + " failed: " + e.getMessage(), e);
        }
        for (int i = 0; i < step.outputs().length && i < out.size(); i++) {
            if (step.outputs()[i] >= 0 && out.get(i) != null) {
                values[step.outputs()[i]] = out.get(i);
            }
        }
    }

    /**
     * A subgraph's pass: it writes into the same slots as the graph around it (its values are named apart), so
     * it reads outer values directly, and gradients flow through it like through any node.
     */
    private NDList runPlan(Plan plan, List<NDArray> inputs, NDArray[] values, NDManager scratch) {
        if (inputs.size() != plan.inputs().length) {
            throw new IllegalArgumentException("the subgraph takes " + plan.inputs().length + " inputs, got "
                    + inputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            values[plan.inputs()[i]] = inputs.get(i);
        }
        for (Step step : plan.steps()) {
            // no table read inside a subgraph is read by rows (GatheredRows.eligible)
            run(step, values, scratch, null);
        }
        NDList out = new NDList();
        for (int slot : plan.outputs()) {
            if (slot < 0 || values[slot] == null) {
                throw new IllegalStateException("a subgraph output is not computed");
            }
            out.add(values[slot]);
        }
        return out;
    }

    /** Shapes by running the graph once on zeros: ONNX shapes are often symbolic, so this is the reliable way. */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        try (NDManager m = TorchRuntime.newManager(device)) {
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
