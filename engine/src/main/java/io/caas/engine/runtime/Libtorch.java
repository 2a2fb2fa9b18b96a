package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The libtorch_cpu that DJL loaded, for the few switches and questions DJL has no call for. DJL loads it by path
 * into a private symbol scope, so it is found among the process's mapped files and opened again without loading
 * or promoting it ({@code RTLD_NOLOAD}, local), which leaves symbol lookup for later libraries as it was.
 */
final class Libtorch {

    private static final int RTLD_LAZY = 0x1;
    private static final int RTLD_NOLOAD = 0x4;
    private static volatile Method isContiguous;
    private static volatile Object djlLibrary;

    private Libtorch() {
    }

    /** Where libtorch_cpu is mapped in this process. */
    record Mapping(Path file, long start) {
    }

    /**
     * libtorch's {@code is_contiguous} of a PyTorch-engine array (row-major strides; false for a channels-last tensor
     * of 2 or more channels). DJL asks it internally but does not expose it, so its JNI method is called by
     * reflection; an IllegalStateException where that is not possible.
     */
    static boolean isContiguous(NDArray a) {
        try {
            if (isContiguous == null) {
                Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                Field instance = lib.getDeclaredField("LIB");
                instance.setAccessible(true);
                Method m = lib.getDeclaredMethod("torchIsContiguous", long.class);
                m.setAccessible(true);
                djlLibrary = instance.get(null);
                isContiguous = m;
            }
            return (boolean) isContiguous.invoke(djlLibrary, ((PtNDArray) a).getHandle());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("libtorch's is_contiguous cannot be asked: " + e, e);
        }
    }

    /** Empty until DJL has loaded libtorch, or where the process's mapped files cannot be read. */
    static Optional<NativeLibrary> loaded() throws IOException {
        return mapping().map(m -> NativeLibrary.getInstance(m.file().toString(),
                Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY | RTLD_NOLOAD)));
    }

    /** The file and the address of its mapping from offset 0; empty until DJL has loaded libtorch. */
    static Optional<Mapping> mapping() throws IOException {
        // /proc/self/maps: "start-end perms offset dev inode path"
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(line -> line.split("\\s+", 6))
                .filter(f -> f.length == 6 && f[5].endsWith("/libtorch_cpu.so") && Long.parseLong(f[2], 16) == 0)
                .findFirst()
                .map(f -> new Mapping(Path.of(f[5]), Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16)));
    }
}
