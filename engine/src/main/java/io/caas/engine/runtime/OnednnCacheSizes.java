package io.caas.engine.runtime;

import com.sun.jna.Function;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's oneDNN from planning its kernels for caches of one byte on processors whose CPUID reports no cache
 * sizes, as it does inside some virtual machines.
 *
 * <p>Why: oneDNN 3.7 (in libtorch 2.7.1) asks an AMD processor for its caches through CPUID leaf 0x8000001D alone and
 * takes three levels whatever the answer. An AMD EPYC virtual machine answers that leaf with zeros, so oneDNN's CPU
 * description (Xbyak's {@code Cpu}) holds caches of 1 byte, and its convolutions, blocked for that, returned wrong
 * values or NaN there whenever channels were not a multiple of its vector width (up to 5.4 off against a direct
 * sum). That is why {@link ConvolutionBackend} found oneDNN wrong on that machine and turned it off, and the
 * training step of a small CNN then ran on ATen's slower convolutions. oneDNN has its own sizes for a processor that
 * reports no caches at all (its {@code get_per_core_cache_size} guesses 32 KB, 512 KB and 1 MB per core when the
 * level count is 0); this sets the level count of the description it built to 0, once, before its first primitive,
 * so that those are used. With that its convolutions are right to 1e-5 on the same machine.
 *
 * <p>The description is a static object inside libtorch_cpu with no exported name: its accessor
 * ({@code dnnl::impl::cpu::x64::cpu()}) is found in the library's full symbol table, called (which also builds the
 * object if nothing has yet), and the object is changed only where it holds exactly the one-byte pattern above, read
 * at the field offsets of oneDNN 3.7's Xbyak. Anything else (another build, a stripped library, real cache sizes)
 * leaves it as it is; {@link ConvolutionBackend}'s check still runs after this either way. {@value #SWITCH}={@code
 * off} turns it off.
 */
final class OnednnCacheSizes {

    /** The environment variable that turns the repair off ({@code off}). */
    static final String SWITCH = "CAAS_ONEDNN_CACHE_SIZES";
    static final String ACCESSOR = "_ZN4dnnl4impl3cpu3x643cpuEv";

    private static final Logger log = LoggerFactory.getLogger(OnednnCacheSizes.class);
    // Xbyak::util::Cpu (oneDNN 3.7): Type type_ (16 bytes), bool x2APIC_supported_, uint32_t numCores_[2],
    // uint32_t dataCacheSize_[10], uint32_t coresSharignDataCache_[10], uint32_t dataCacheLevels_
    private static final int SIZES = 28;
    private static final int SHARING = 68;
    private static final int LEVELS = 108;
    private static final int EXPECTED_LEVELS = 3;
    /** Xbyak's maxNumberCacheLevels: a level count above it means the offsets above are not this object's. */
    private static final int MAX_LEVELS = 10;
    private static final AtomicReference<Outcome> outcome = new AtomicReference<>();
    private static volatile Pointer located;

    /** What this process's oneDNN cache description was found to be, and what was done. */
    enum Outcome {
        /** Not an AMD processor on Linux x86-64, the only case oneDNN 3.7 reads this way. */
        NOT_NEEDED,
        /** oneDNN holds cache sizes (or none at all): nothing to do. */
        SIZES_KNOWN,
        /** It held caches of one byte; it now takes its own sizes for unknown caches. */
        REPAIRED,
        TURNED_OFF,
        /** The accessor or the object was not found as expected (another libtorch build): left as it is. */
        NOT_FOUND
    }

    /** The cache levels, sizes and sharing oneDNN plans with, as its CPU description holds them. */
    record Description(int levels, int[] sizes, int[] sharing) {

        boolean oneByteCaches() {
            if (levels != EXPECTED_LEVELS) {
                return false;
            }
            for (int i = 0; i < levels; i++) {
                if (sizes[i] != 1 || sharing[i] != 1) {
                    return false;
                }
            }
            return true;
        }

        /** Whether every level oneDNN plans with has at least a kilobyte per core, or it plans with none. */
        boolean plausible() {
            for (int i = 0; i < Math.min(levels, sizes.length); i++) {
                if (sharing[i] == 0 || sizes[i] / sharing[i] < 1024) {
                    return false;
                }
            }
            return true;
        }
    }

    private OnednnCacheSizes() {
    }

    /** Makes the repair on the first call once libtorch is loaded; later calls return what was done. */
    static Outcome repair() {
        Outcome done = outcome.get();
        if (done != null) {
            return done;
        }
        synchronized (OnednnCacheSizes.class) {
            if (outcome.get() == null) {
                outcome.set(repairOnce());
            }
            return outcome.get();
        }
    }

    /**
     * oneDNN's CPU description in this process as it is now (for tests); empty where it was not looked for or not
     * found.
     */
    static Optional<Description> description() {
        repair();
        return Optional.ofNullable(located).map(OnednnCacheSizes::read);
    }

    private static Outcome repairOnce() {
        if (!MklDispatch.amdOnLinuxX64()) {
            return Outcome.NOT_NEEDED;
        }
        if ("off".equalsIgnoreCase(System.getenv(SWITCH))) {
            return Outcome.TURNED_OFF;
        }
        Optional<Pointer> cpu = cpu();
        if (cpu.isEmpty()) {
            return Outcome.NOT_FOUND;
        }
        located = cpu.get();
        Description before = read(cpu.get());
        if (!before.oneByteCaches()) {
            return before.levels() <= MAX_LEVELS ? Outcome.SIZES_KNOWN : Outcome.NOT_FOUND;
        }
        cpu.get().setInt(LEVELS, 0);
        log.info("oneDNN read caches of 1 byte from this processor (its CPUID reports no cache sizes, as in some "
                + "virtual machines), which made its convolutions wrong; it now plans with its sizes for unknown caches");
        return Outcome.REPAIRED;
    }

    private static Description read(Pointer cpu) {
        return new Description(cpu.getInt(LEVELS), cpu.getIntArray(SIZES, EXPECTED_LEVELS),
                cpu.getIntArray(SHARING, EXPECTED_LEVELS));
    }

    /**
     * The address of oneDNN's CPU description, from its accessor, which builds it on first use; empty unless the
     * accessor is a function symbol of the libtorch_cpu file mapped in this process and an ELF header is where that
     * file's mapping from offset 0 starts.
     */
    private static Optional<Pointer> cpu() {
        try {
            Optional<Libtorch.Mapping> mapping = Libtorch.mapping();
            if (mapping.isEmpty()) {
                return Optional.empty();
            }
            Optional<ElfSymbols.Symbol> accessor = ElfSymbols.find(mapping.get().file(), ACCESSOR);
            if (accessor.isEmpty() || !accessor.get().isFunction()) {
                return Optional.empty();
            }
            long base = mapping.get().start() - ElfSymbols.firstLoadAddress(mapping.get().file());
            Pointer header = new Pointer(mapping.get().start());
            if (header.getInt(0) != ElfSymbols.MAGIC) {
                return Optional.empty();
            }
            return Optional.ofNullable((Pointer) Function.getFunction(new Pointer(base + accessor.get().value()))
                    .invoke(Pointer.class, new Object[0]));
        } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            log.warn("cannot read oneDNN's cache sizes: {}", e.toString());
            return Optional.empty();
        }
    }
}
