/** Truncated SVD compression ({@link io.caas.engine.compress.svd.TruncatedSvdMethod}, method name "svd"). */
package io.caas.engine.compress.svd;
