package io.caas.engine.runtime;

import ai.djl.util.Utils;
import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets libtorch's oneMKL pick its gemm kernels by the processor's features on AMD processors, as it does on
 * Intel's, by loading the engine's one native piece ({@code src/main/c/mkl_amd_dispatch.c}, which says why) into
 * the global symbol scope before libtorch's first BLAS call. Measured on an AMD EPYC with AVX-512: MiniLM inference
 * in the interpreter went from 2.2x ONNX Runtime's time to 1.1x, with the same outputs (BENCHMARKS.md).
 *
 * <p>Only on Linux x86-64 AMD processors, and not where {@value #SWITCH} is {@code off}. Once per process; what
 * oneMKL then chose is logged, so a jar built without a C compiler (no shim inside) says what it costs.
 */
final class MklDispatch {

    /** The environment variable that turns the shim off ({@code off}); anything else leaves it on. */
    static final String SWITCH = "CAAS_MKL_AMD_DISPATCH";
    static final String SHIM = "libcaas_mkl_amd_dispatch.so";

    private static final Logger log = LoggerFactory.getLogger(MklDispatch.class);
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;
    private static final AtomicBoolean reported = new AtomicBoolean();

    /** What happened to the shim in this process. */
    enum Outcome {
        /** Not an AMD processor on Linux x86-64: oneMKL needs no help. */
        NOT_NEEDED,
        TURNED_OFF,
        /** The jar has no shim: it was built where no C compiler was found. */
        NOT_BUILT,
        FAILED,
        LOADED
    }

    private MklDispatch() {
    }

    /**
     * The shim's outcome, loading it on the first call. It loads nothing of libtorch's, so DJL's settings made
     * after it (threads) still apply when libtorch starts.
     */
    static Outcome load() {
        return Once.OUTCOME;
    }

    /** Logs, once, which kernels oneMKL runs where that depends on the shim; call it once libtorch is loaded. */
    static void report() {
        Outcome outcome = load();
        if (outcome == Outcome.NOT_NEEDED || !reported.compareAndSet(false, true)) {
            return;
        }
        String kernels = kernels().orElse("unknown");
        switch (outcome) {
            case LOADED -> log.info("oneMKL runs its {} kernels on this AMD processor (dispatch by features, {} "
                    + "loaded)", kernels, SHIM);
            case TURNED_OFF -> log.info("oneMKL runs its {} kernels on this AMD processor: {}=off", kernels, SWITCH);
            default -> log.warn("oneMKL runs its {} kernels on this AMD processor ({}): its float32 matrix products "
                    + "can take twice as long as they would by the processor's features", kernels,
                    outcome == Outcome.NOT_BUILT ? "the engine jar was built without a C compiler, so it has no "
                            + SHIM : "its dispatch shim could not be loaded");
        }
    }

    /**
     * The instruction set oneMKL dispatches its kernels to in this process ({@code mkl_cbwr_get_auto_branch}):
     * {@code AVX-512}, {@code AVX2}, {@code AVX}, or {@code generic}, which is what it takes on AMD without the shim.
     */
    static Optional<String> kernels() {
        try {
            return Libtorch.loaded().map(lib -> branchName(lib.getFunction("mkl_serv_cbwr_get_auto_branch")
                    .invokeInt(new Object[0])));
        } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            return Optional.empty();
        }
    }

    // mkl_cbwr.h: MKL_CBWR_AVX 9, MKL_CBWR_AVX2 10, the AVX-512 branches from 11 up; MKL_CBWR_AUTO (2) below
    static String branchName(int branch) {
        return branch >= 11 ? "AVX-512" : branch == 10 ? "AVX2" : branch == 9 ? "AVX" : "generic";
    }

    /** Whether this is Linux on an x86-64 AMD processor, where libtorch's oneMKL and oneDNN need help. */
    static boolean amdOnLinuxX64() {
        if (!"amd64".equals(System.getProperty("os.arch")) || !"Linux".equals(System.getProperty("os.name"))) {
            return false;
        }
        try (Stream<String> cpuinfo = Files.lines(Path.of("/proc/cpuinfo"))) {
            return isAmd(cpuinfo);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static boolean isAmd(Stream<String> cpuinfo) {
        return cpuinfo.filter(line -> line.startsWith("vendor_id")).findFirst()
                .map(line -> line.endsWith("AuthenticAMD")).orElse(false);
    }

    /** Holder: class initialisation runs the load once, and callers on other threads wait for it. */
    private static final class Once {
        // a strong reference: JNA closes a library whose NativeLibrary is collected, and libtorch's call would
        // then jump into unmapped memory
        private static NativeLibrary shim;
        private static final Outcome OUTCOME = loadShim();

        private static Outcome loadShim() {
            if (!amdOnLinuxX64()) {
                return Outcome.NOT_NEEDED;
            }
            if ("off".equalsIgnoreCase(System.getenv(SWITCH))) {
                return Outcome.TURNED_OFF;
            }
            try (InputStream in = MklDispatch.class.getResourceAsStream(SHIM)) {
                if (in == null) {
                    return Outcome.NOT_BUILT;
                }
                // A private copy, removed once mapped: nothing another user could swap between write and load. In
                // DJL's engine cache, where libtorch itself is unpacked and loaded from, so a /tmp mounted noexec
                // or read-only does not stop it.
                Path cache = Utils.getEngineCacheDir();
                Files.createDirectories(cache);
                Path dir = Files.createTempDirectory(cache, "caas-native-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Path file = dir.resolve(SHIM);
                try {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    shim = NativeLibrary.getInstance(file.toString(),
                            Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_GLOBAL));
                } finally {
                    Files.deleteIfExists(file);
                    Files.deleteIfExists(dir);
                }
                return Outcome.LOADED;
            } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
                log.warn("cannot load {}: {}", SHIM, e.toString());
                return Outcome.FAILED;
            }
        }
    }
}
