/**
 * Tensor decompositions of convolution kernels (after Singh, Jahromi and Orús, "Tensor network compressibility of
 * convolutional models", arXiv 2403.14379): Tucker-2 ({@code tucker}), CP ({@code cp}) and tensor train
 * ({@code tt}). Each kernel (out, in, kh, kw) is fitted in double precision with EJML and exported as a chain of
 * real, smaller ONNX convolutions, so the saved parameters are the factors' and nothing dense is rebuilt.
 */
package io.caas.engine.compress.tensor;
