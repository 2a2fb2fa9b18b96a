/**
 * Executes ONNX models on DJL's PyTorch engine with autograd, so compressed models can be fine-tuned.
 *
 * <p>{@link io.caas.engine.runtime.OnnxInterpreter#load} builds an {@link io.caas.engine.runtime.OnnxGraph} from the
 * model, resolves every node against the {@link io.caas.engine.runtime.OperatorRegistry} (failing with
 * {@link io.caas.engine.runtime.UnsupportedOperatorException} for anything outside
 * {@link io.caas.engine.runtime.SupportedOperators}) and wraps it in an {@link io.caas.engine.runtime.OnnxBlock}: a DJL
 * block whose floating-point weights are trainable parameters. Static arguments that PyTorch needs as Java values
 * (shapes, axes, pads, sizes) are read back from the int64 tensors that export-time shape subgraphs compute.
 */
package io.caas.engine.runtime;
