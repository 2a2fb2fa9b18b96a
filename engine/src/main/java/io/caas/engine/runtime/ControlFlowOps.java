package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Control flow: nodes that run a graph of their own. The branch or body runs on the same autograd tape as the
 * rest of the pass, so fine-tuning reaches the weights inside the branch that was taken.
 */
final class ControlFlowOps {

    private ControlFlowOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("If", c -> c.runSubgraph(isTrue(c.in(0)) ? "then_branch" : "else_branch", List.of()));
        r.put("Loop", ControlFlowOps::loop);
        r.put("Scan", ControlFlowOps::scan);
    }

    /**
     * Runs the body while the trip count (input 0, if given) is not reached and the condition (input 1, if given,
     * then the body's first output) holds. Outputs: the loop-carried values after the last iteration, then each
     * scan output stacked over the iterations along a new first axis.
     */
    private static NDList loop(OpCall c) {
        long maxTrips = c.has(0) ? c.longs(0)[0] : Long.MAX_VALUE;
        boolean cond = !c.has(1) || isTrue(c.in(1));
        List<NDArray> carried = new ArrayList<>();
        for (int i = 2; i < c.inputCount(); i++) {
            carried.add(c.in(i));
        }
        int scanOutputs = c.node().subgraphs().get("body").outputs().size() - 1 - carried.size();
        List<List<NDArray>> scans = new ArrayList<>();
        for (int k = 0; k < scanOutputs; k++) {
            scans.add(new ArrayList<>());
        }
        NDManager m = c.manager();
        for (long trip = 0; trip < maxTrips && cond; trip++) {
            List<NDArray> in = new ArrayList<>();
            in.add(m.create(trip));
            in.add(m.create(cond));
            in.addAll(carried);
            NDList out = c.runSubgraph("body", in);
            cond = isTrue(out.get(0));
            carried = new ArrayList<>(out.subList(1, 1 + carried.size()));
            for (int k = 0; k < scanOutputs; k++) {
                scans.get(k).add(out.get(1 + carried.size() + k));
            }
        }
        NDList result = new NDList(carried);
        for (List<NDArray> scan : scans) {
            if (scan.isEmpty()) {
                throw c.unsupported("a Loop that runs no iteration has scan outputs of unknown shape");
            }
            result.add(NDArrays.stack(new NDList(scan), 0));
        }
        return result;
    }

    /**
     * Opset 9 and later: the body runs once per slice of the scan inputs along their scan axes (in their
     * directions), threading the state values through; outputs are the final states, then each scan output's
     * per-iteration values stacked along its axis (reversed where its direction says).
     */
    private static NDList scan(OpCall c) {
        if (c.opset() < 9) {
            throw c.unsupported("Scan before opset 9 (with a batch axis and sequence_lens) is not supported");
        }
        int scanInputs = (int) c.attrInt("num_scan_inputs", 0);
        int states = c.inputCount() - scanInputs;
        long[] inAxes = c.attrInts("scan_input_axes");
        long[] inDirections = c.attrInts("scan_input_directions");
        long[] outAxes = c.attrInts("scan_output_axes");
        long[] outDirections = c.attrInts("scan_output_directions");
        List<NDArray> carried = new ArrayList<>();
        for (int i = 0; i < states; i++) {
            carried.add(c.in(i));
        }
        NDArray[] sequences = new NDArray[scanInputs];
        int[] axes = new int[scanInputs];
        long length = -1;
        for (int j = 0; j < scanInputs; j++) {
            sequences[j] = c.in(states + j);
            axes[j] = Axes.normalize(inAxes == null ? 0 : inAxes[j], sequences[j].getShape().dimension());
            long n = sequences[j].getShape().get(axes[j]);
            if (length >= 0 && n != length) {
                throw new IllegalArgumentException("scan inputs differ in length along their axes: " + length + ", " + n);
            }
            length = n;
        }
        int outputCount = c.node().subgraphs().get("body").outputs().size() - states;
        List<List<NDArray>> scans = new ArrayList<>();
        for (int k = 0; k < outputCount; k++) {
            scans.add(new ArrayList<>());
        }
        for (long t = 0; t < length; t++) {
            List<NDArray> in = new ArrayList<>(carried);
            for (int j = 0; j < scanInputs; j++) {
                boolean reverse = inDirections != null && inDirections[j] != 0;
                long at = reverse ? length - 1 - t : t;
                in.add(Axes.select(sequences[j], axes[j], new long[] {at}, c.manager()).squeeze(axes[j]));
            }
            NDList out = c.runSubgraph("body", in);
            carried = new ArrayList<>(out.subList(0, states));
            for (int k = 0; k < outputCount; k++) {
                scans.get(k).add(out.get(states + k));
            }
        }
        NDList result = new NDList(carried);
        for (int k = 0; k < outputCount; k++) {
            List<NDArray> slices = new ArrayList<>(scans.get(k));
            if (outDirections != null && outDirections[k] != 0) {
                Collections.reverse(slices);
            }
            if (slices.isEmpty()) {
                throw c.unsupported("a Scan over empty inputs has outputs of unknown shape");
            }
            int rank = slices.get(0).getShape().dimension() + 1;
            int axis = Axes.normalize(outAxes == null ? 0 : outAxes[k], rank);
            result.add(NDArrays.stack(new NDList(slices), axis));
        }
        return result;
    }

    /** A one-element condition, of any numeric type as ONNX Runtime accepts it: non-zero is true. */
    static boolean isTrue(NDArray cond) {
        if (cond.getShape().size() != 1) {
            // A model exported for batch 1 computes one condition per sample: ONNX Runtime refuses it too.
            throw new IllegalArgumentException("the condition must hold one element, it has shape " + cond.getShape()
                    + "; a model exported for batch 1 runs one sample at a time");
        }
        return cond.getDataType() == DataType.BOOLEAN ? cond.toBooleanArray()[0]
                : cond.toType(DataType.FLOAT64, false).toDoubleArray()[0] != 0;
    }
}
