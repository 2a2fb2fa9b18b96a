package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/** What an operator sees of one node being evaluated: its attributes, inputs, opset and a manager for temporaries. */
public final class OpCall {

    private final OnnxNode node;
    private final long opset;
    private final List<NDArray> inputs;
    private final NDManager manager;
    private final SubgraphRunner subgraphs;

    /** Runs one of the node's subgraphs in the scope of the node: its formal inputs bound, its outputs returned. */
    @FunctionalInterface
    interface SubgraphRunner {
        NDList run(String attribute, List<NDArray> inputs);
    }

    OpCall(OnnxNode node, long opset, List<NDArray> inputs, NDManager manager) {
        this(node, opset, inputs, manager, (attribute, in) -> {
            throw new IllegalStateException(node.describe() + " has no subgraph runner");
        });
    }

    OpCall(OnnxNode node, long opset, List<NDArray> inputs, NDManager manager, SubgraphRunner subgraphs) {
        this.node = node;
        this.opset = opset;
        this.inputs = inputs;
        this.manager = manager;
        this.subgraphs = subgraphs;
    }

    /**
     * Runs the subgraph in attribute {@code attribute} on the autograd tape of this pass: its nodes see every
     * value computed so far, its formal inputs are {@code inputs}; returns its outputs in order.
     */
    public NDList runSubgraph(String attribute, List<NDArray> inputs) {
        if (!node.subgraphs().containsKey(attribute)) {
            throw new IllegalArgumentException(node.describe() + " has no graph attribute '" + attribute + "'");
        }
        return subgraphs.run(attribute, inputs);
    }

    public OnnxNode node() {
        return node;
    }

    public long opset() {
        return opset;
    }

    public NDManager manager() {
        return manager;
    }

    public int inputCount() {
        return inputs.size();
    }

    public boolean has(int i) {
        return i < inputs.size() && inputs.get(i) != null;
    }

    public NDArray in(int i) {
        if (!has(i)) {
            throw new IllegalArgumentException(node.describe() + " lacks its input #" + i);
        }
        return inputs.get(i);
    }

    public NDArray opt(int i) {
        return has(i) ? inputs.get(i) : null;
    }

    /** A shape-like input (shape, axes, pads, sizes) as Java values: ops need these to be static. */
    public long[] longs(int i) {
        return NDTensors.longs(in(i));
    }

    public double[] doubles(int i) {
        return NDTensors.doubles(in(i));
    }

    public int outputCount() {
        return node.outputs().size();
    }

    public boolean wantsOutput(int i) {
        return i < node.outputs().size() && !node.outputs().get(i).isEmpty();
    }

    public long attrInt(String name, long def) {
        return node.attrInt(name, def);
    }

    public float attrFloat(String name, float def) {
        return node.attrFloat(name, def);
    }

    public String attrString(String name, String def) {
        return node.attrString(name, def);
    }

    public long[] attrInts(String name) {
        return node.attrInts(name);
    }

    public UnsupportedOperatorException unsupported(String what) {
        return new UnsupportedOperatorException(node.opType(), node.describe() + ": " + what);
    }
}
