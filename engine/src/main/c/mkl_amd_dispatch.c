/*
 * Loaded by the engine (MklDispatch.java) into the process's global symbol scope, on AMD processors only, before
 * libtorch makes its first BLAS call.
 *
 * Why: libtorch's CPU builds link Intel oneMKL statically, and oneMKL picks its kernels by vendor before features:
 * on any processor that is not Intel's it takes a generic branch, whatever AVX2 or AVX-512 the processor has. On an
 * AMD EPYC with AVX-512 that made libtorch's float32 gemm about half as fast as ONNX Runtime's, which dispatches by
 * features (BENCHMARKS.md, "Inference on MiniLM"). oneMKL asks this question through this one exported function,
 * called through libtorch's PLT, so a definition earlier in the global scope answers it; oneMKL then dispatches by
 * the processor's features as it does on Intel's. The answer changes which kernel runs, not what it computes.
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
