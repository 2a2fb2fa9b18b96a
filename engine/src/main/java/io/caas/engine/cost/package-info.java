/**
 * What a model costs to run, counted rather than timed: multiply-accumulates per weighted layer and per model
 * ({@link io.caas.engine.cost.MacCounter}), before and after compression. Timing is in {@code io.caas.engine.eval}.
 */
package io.caas.engine.cost;
