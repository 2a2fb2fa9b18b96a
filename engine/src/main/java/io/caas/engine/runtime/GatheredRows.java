package io.caas.engine.runtime;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rows of embedding tables that training passes read, with the loss's gradient to those rows alone: what
 * PyTorch's {@code nn.Embedding(sparse=True)} hands its SparseAdam. While a block records into one
 * ({@link OnnxBlock#recordGatheredRows}), a training pass that reads one of these tables through Gather reads a copy of
 * just the rows its indices name, made a leaf of autograd, so the backward pass writes a gradient of those rows. Read
 * directly, the table would get a gradient of its full size, zero outside the rows: on all-MiniLM-L6-v2's word
 * embedding 11.7M floats (47 MB) made, added into the table's gradient and zeroed every step, for at most 512 rows at
 * 8 × 64 tokens, and then an optimizer step over all of it.
 *
 * <p>A table qualifies ({@link #eligible}) when the graph reads it only as the data of Gathers along axis 0 in its main
 * graph: then every value computed from it comes through such a read, and the rows read are all its gradient can
 * touch.
 */
public final class GatheredRows implements AutoCloseable {

    private final Set<String> tables;
    private final NDManager manager;
    private final Map<String, List<Read>> reads = new LinkedHashMap<>();

    /** One Gather's distinct rows (ascending) and the leaf holding their values. */
    private record Read(NDArray rows, NDArray leaf) {
    }

    /**
     * The distinct rows of a table read since the last {@link #take}, ascending, and the loss's gradient to them
     * (rows read twice, by two Gathers or two passes, have their gradients added).
     */
    public record RowGradient(NDArray rows, NDArray gradient) {
    }

    /** @param tables the weights to read by rows: each must be {@link #eligible} */
    public GatheredRows(Set<String> tables, NDManager owner) {
        this.tables = Set.copyOf(tables);
        this.manager = owner.newSubManager();
    }

    /** The weights of {@code graph} read only as the data of main-graph Gathers along axis 0. */
    public static Set<String> eligible(OnnxGraph graph) {
        Set<OnnxNode> main = Collections.newSetFromMap(new IdentityHashMap<>());
        main.addAll(graph.nodes());
        Map<String, Boolean> onlyRows = new HashMap<>();
        for (OnnxNode n : (Iterable<OnnxNode>) graph.allNodes()::iterator) {
            for (int i = 0; i < n.inputs().size(); i++) {
                String v = n.inputs().get(i);
                onlyRows.merge(v, i == 0 && main.contains(n) && readsRows(n, graph.weights().get(v)),
                        Boolean::logicalAnd);
            }
        }
        Set<String> outputs = new HashSet<>();
        graph.outputs().forEach(o -> outputs.add(o.name()));
        Set<String> out = new HashSet<>();
        onlyRows.forEach((name, only) -> {
            if (only && !outputs.contains(name)) {
                out.add(name);
            }
        });
        return out;
    }

    /** A standard Gather along axis 0 of a weight of rank 1 or more (axis -rank is axis 0 too). */
    private static boolean readsRows(OnnxNode n, TensorProto weight) {
        if (weight == null || weight.getDimsCount() == 0 || !n.opType().equals("Gather")
                || !(n.domain().isEmpty() || n.domain().equals("ai.onnx"))) {
            return false;
        }
        long axis = n.attrInt("axis", 0);
        return axis == 0 || axis == -weight.getDimsCount();
    }

    boolean covers(String table) {
        return tables.contains(table);
    }

    /**
     * Gather's output, {@code table[indices]} along axis 0, computed from a leaf copy of the rows read. Indices may be
     * negative (counted from the end, as ONNX defines); one outside the table fails as Gather does.
     */
    NDArray gather(String name, NDArray table, NDArray indices, NDManager scratch) {
        long size = table.getShape().get(0);
        NDArray leaf;
        NDArray inverse;
        try (GradMode off = GradMode.off()) {
            NDArray idx = indices.getDataType() == DataType.INT64 ? indices : indices.toType(DataType.INT64, false);
            NDList distinct = idx.unique(null, true, true, false);
            distinct.attach(scratch);
            if (distinct.get(0).size() > 0) {
                NDArray rows = distinct.get(0);
                long first = rows.get(0).getLong();
                long last = rows.get(rows.size() - 1).getLong();
                if (first < -size || last >= size) {
                    throw new IllegalArgumentException("index " + (first < -size ? first : last)
                            + " is outside the " + size + " rows of '" + name + "'");
                }
                if (first < 0) {
                    // -1 and size - 1 name one row: count from the start, then take the distinct rows again
                    NDArray positive = idx.add(idx.lt(0).toType(DataType.INT64, false).mul(size));
                    positive.attach(scratch);
                    distinct = positive.unique(null, true, true, false);
                    distinct.attach(scratch);
                }
            }
            NDArray rows = distinct.get(0);
            inverse = distinct.get(1);
            leaf = table.get(manager, new NDIndex("{}", rows));
            rows.attach(manager);
            reads.computeIfAbsent(name, k -> new ArrayList<>()).add(new Read(rows, leaf));
        }
        leaf.setRequiresGradient(true);
        return leaf.get(scratch, new NDIndex("{}", inverse));
    }

    /**
     * The rows each table's reads since the last call named and their gradients, on {@code into}; forgets the reads. A
     * table whose reads got no gradient (their values did not reach the loss) is left out.
     */
    public Map<String, RowGradient> take(NDManager into) {
        Map<String, RowGradient> out = new LinkedHashMap<>();
        try (GradMode off = GradMode.off(); NDManager scratch = manager.newSubManager()) {
            reads.forEach((name, list) -> {
                List<NDArray> rows = new ArrayList<>();
                List<NDArray> grads = new ArrayList<>();
                for (Read r : list) {
                    NDArray g = gradient(r.leaf());
                    if (g != null) {
                        g.attach(scratch);
                        rows.add(r.rows());
                        grads.add(g);
                    }
                }
                if (rows.isEmpty()) {
                    return;
                }
                RowGradient sum = rows.size() == 1 ? new RowGradient(rows.get(0).duplicate(), grads.get(0).duplicate())
                        : added(rows, grads);
                sum.rows().attach(into);
                sum.gradient().attach(into);
                out.put(name, sum);
            });
        } finally {
            reads.values().forEach(list -> list.forEach(r -> {
                r.rows().close();
                r.leaf().close();
            }));
            reads.clear();
        }
        return out;
    }

    /** The leaf's gradient, or null where the backward pass gave it none (DJL's getGradient fails then). */
    private static NDArray gradient(NDArray leaf) {
        try {
            return leaf.getGradient();
        } catch (IllegalStateException | EngineException e) {
            return null;
        }
    }

    /**
     * Several reads' rows as one distinct set with their gradients added. Each read's rows are distinct, so
     * {@code g[at] += grad} with a read's positions {@code at} writes each position once: exact, and no scatter-add
     * (which DJL does not offer) is needed.
     */
    private static RowGradient added(List<NDArray> rows, List<NDArray> grads) {
        NDArray all = NDArrays.concat(new NDList(rows));
        NDList distinct = all.unique(null, true, true, false);
        NDArray union = distinct.get(0);
        NDArray at = distinct.get(1);
        long[] shape = grads.get(0).getShape().getShape().clone();
        shape[0] = union.size();
        NDArray sum = grads.get(0).getManager().zeros(new Shape(shape), grads.get(0).getDataType(),
                grads.get(0).getDevice());
        long from = 0;
        for (int i = 0; i < rows.size(); i++) {
            long n = rows.get(i).size();
            NDIndex positions = new NDIndex("{}", at.get(new NDIndex().addSliceDim(from, from + n)));
            sum.set(positions, sum.get(positions).add(grads.get(i)));
            from += n;
        }
        return new RowGradient(union.duplicate(), sum.duplicate());
    }

    @Override
    public void close() {
        manager.close();
    }
}
