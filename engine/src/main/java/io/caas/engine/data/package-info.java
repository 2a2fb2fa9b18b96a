/**
 * Datasets for evaluation and fine-tuning. Entry points: {@link io.caas.engine.data.DatasetLoader#load} (format
 * detected or given, under {@link io.caas.engine.data.DatasetLimits}) and
 * {@link io.caas.engine.data.DatasetCompatibility#problems} to check a dataset against a model input before a
 * job is queued. Every bad input ends in a {@link io.caas.engine.data.DatasetFormatException}.
 */
package io.caas.engine.data;
