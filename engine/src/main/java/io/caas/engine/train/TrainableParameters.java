package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import io.caas.engine.runtime.PackedWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The parameters a fine-tuning run updates, in groups that the optimizer updates as one array each.
 *
 * <p>A group is either one parameter, or a run of trainable weights that are neighbours in their block's
 * {@link PackedWeights}: the optimizer then updates the view of their joint span with their gradients laid end to
 * end, one set of kernel launches instead of one per weight (on the benchmark CNN's six weights, DJL's Adam took
 * 111 µs one array at a time and 38 µs on one flat array, the join and the zeroing included: OptimizerStepBench in
 * the engine's test sources). Adam and SGD are elementwise, so the result is that of updating each weight alone;
 * FineTunerStepTest checks it.
 *
 * <p>Why the gradients are held rather than asked for at every step: each {@code getGradient()} costs two native
 * calls and a new array wrapper (a third call to free it), for a tensor that does not change. libtorch accumulates a
 * first-order backward pass into the parameter's existing gradient in place, and the gradients are zeroed after every
 * update (by DJL's optimizers for a single parameter, here for a group), so one handle, taken after the first
 * backward pass, stays the gradient of every later step.
 */
final class TrainableParameters implements AutoCloseable {

    private final List<Group> groups = new ArrayList<>();
    private final NDManager manager;

    TrainableParameters(List<Parameter> parameters, PackedWeights packed, NDManager owner) {
        this.manager = owner.newSubManager();
        int i = 0;
        while (i < parameters.size()) {
            OptionalInt at = packed.indexOf(parameters.get(i).getName());
            int end = i + 1;
            if (at.isPresent()) {
                while (end < parameters.size()
                        && packed.indexOf(parameters.get(end).getName()).orElse(-1) == at.getAsInt() + end - i) {
                    end++;
                }
            }
            List<Parameter> members = List.copyOf(parameters.subList(i, end));
            NDArray span = null;
            if (members.size() > 1) {
                span = packed.span(at.getAsInt(), at.getAsInt() + members.size());
                span.attach(manager);
                if (!sharesStorage(span, members)) {
                    span.close();
                    span = null;
                }
            }
            if (span == null) {
                members.forEach(p -> groups.add(new Group(List.of(p), null)));
            } else {
                groups.add(new Group(members, span));
            }
            i = end;
        }
    }

    /**
     * Whether the members' arrays are still views of the span. DJL's whole-array writes ({@code NDArray.set(Buffer)},
     * {@code copyTo}) give an array new storage instead of writing into its own, which cuts a packed weight off its
     * span: updating the span would then leave that weight as it was. Checked by writing a marker through the span
     * and reading it back through the members, then restoring the span.
     */
    private static boolean sharesStorage(NDArray span, List<Parameter> members) {
        try (NDManager scratch = span.getManager().newSubManager()) {
            NDArray saved = span.duplicate();
            NDArray marker = scratch.arange(0.5f, span.size() + 0.5f, 1f);
            saved.attach(scratch);
            span.set(new NDIndex(":"), marker);
            try {
                NDList seen = new NDList();
                for (Parameter p : members) {
                    seen.add(p.getArray().reshape(-1));
                }
                seen.attach(scratch);
                NDArray joined = NDArrays.concat(seen);
                joined.attach(scratch);
                return joined.getShape().equals(marker.getShape()) && joined.eq(marker).all().getBoolean();
            } finally {
                span.set(new NDIndex(":"), saved);
            }
        }
    }

    /** How many arrays the optimizer updates per step. */
    int groupCount() {
        return groups.size();
    }

    /** One optimizer step over every parameter, after a backward pass; leaves the gradients at zero. */
    void update(Optimizer optimizer) {
        for (Group g : groups) {
            g.update(optimizer, manager);
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    private static final class Group {
        private final List<Parameter> members;
        private final NDArray span;
        private final String id;
        private NDList gradients;

        Group(List<Parameter> members, NDArray span) {
            this.members = members;
            this.span = span;
            this.id = members.size() == 1 ? members.get(0).getId()
                    : members.get(0).getId() + ".." + members.get(members.size() - 1).getId();
        }

        void update(Optimizer optimizer, NDManager manager) {
            if (gradients == null) {
                gradients = new NDList();
                for (Parameter p : members) {
                    NDArray grad = p.getArray().getGradient();
                    // A span's gradient is the members' gradients end to end; flattening a gradient is a view of it.
                    gradients.add(span == null ? grad : grad.reshape(-1));
                    if (span != null) {
                        grad.close();
                    }
                }
                gradients.attach(manager);
            }
            if (span == null) {
                optimizer.update(id, members.get(0).getArray(), gradients.head());
                return;
            }
            try (NDArray joined = NDArrays.concat(gradients)) {
                optimizer.update(id, span, joined);
            }
            // The optimizer zeroed the joined copy; the members' own gradients accumulate the next pass.
            for (Parameter p : members) {
                JniUtils.zeroGrad((PtNDArray) p.getArray());
            }
        }
    }
}
