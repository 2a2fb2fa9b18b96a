package io.caas.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import java.util.List;

/**
 * The parameters a fine-tuning run updates, with their gradient arrays held for the whole run.
 *
 * <p>Why the gradients are held rather than asked for at every step: each {@code getGradient()} costs two native
 * calls and a new array wrapper (a third call to free it), for a tensor that does not change. libtorch accumulates a
 * first-order backward pass into the parameter's existing gradient in place, and DJL's optimizers zero that tensor
 * after every update (PtNDArrayEx.adamUpdate and sgdUpdate end in {@code zeroGrad}), so one handle, taken after the
 * first backward pass, stays the gradient of every later step. FineTunerTest checks the result against fetching it
 * anew each step.
 */
final class TrainableParameters implements AutoCloseable {

    private final List<Parameter> parameters;
    private final NDArray[] gradients;
    private final NDManager gradientManager;

    TrainableParameters(List<Parameter> parameters, NDManager owner) {
        this.parameters = List.copyOf(parameters);
        this.gradients = new NDArray[parameters.size()];
        this.gradientManager = owner.newSubManager();
    }

    /** One optimizer step over every parameter, after a backward pass; leaves the gradients at zero. */
    void update(Optimizer optimizer) {
        for (int i = 0; i < gradients.length; i++) {
            Parameter p = parameters.get(i);
            if (gradients[i] == null) {
                gradients[i] = p.getArray().getGradient();
                gradients[i].attach(gradientManager);
            }
            optimizer.update(p.getId(), p.getArray(), gradients[i]);
        }
    }

    @Override
    public void close() {
        gradientManager.close();
    }
}
