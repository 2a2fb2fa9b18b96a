package io.caas.engine.runtime;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
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

    private Libtorch() {
    }

    /** Empty until DJL has loaded libtorch, or where the process's mapped files cannot be read. */
    static Optional<NativeLibrary> loaded() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                .filter(p -> p.endsWith("/libtorch_cpu.so"))
                .findFirst()
                .map(p -> NativeLibrary.getInstance(p, Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY | RTLD_NOLOAD)));
    }
}
