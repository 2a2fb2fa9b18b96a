/**
 * The low-rank Hadamard form of a bilinear layer (Kim et al. 2017): its CP fit and its export. Shared by the
 * bilinear method and by svd's speed target, which can take a bilinear layer to this form where it times faster.
 */
package io.caas.engine.compress.hadamard;
