/**
 * Row/column-space weight tying ({@link io.caas.engine.compress.tied.TiedMethod}, method name "tied"): pairs of
 * layers d→h→d share one matrix, used as W and as Wᵀ.
 */
package io.caas.engine.compress.tied;
