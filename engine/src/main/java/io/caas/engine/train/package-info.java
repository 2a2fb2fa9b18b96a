/**
 * Fine-tuning of interpreted models: {@link io.caas.engine.train.FineTuner} (cross-entropy with labels, or
 * distillation against the original model without) and {@link io.caas.engine.train.Evaluation}.
 */
package io.caas.engine.train;
