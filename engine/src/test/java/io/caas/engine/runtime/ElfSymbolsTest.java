package io.caas.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The full symbol table of the libtorch_cpu this process runs, read from its file, agrees with the loader. */
class ElfSymbolsTest {

    private static final String EXPORTED = "_ZN2at13globalContextEv";

    @Test
    void anExportedFunctionIsWhereTheDynamicLoaderPutIt() throws Exception {
        TorchRuntime.engine();
        Libtorch.Mapping mapping = Libtorch.mapping().orElseThrow();
        NativeLibrary lib = Libtorch.loaded().orElseThrow();

        long started = System.nanoTime();
        ElfSymbols.Symbol symbol = ElfSymbols.find(mapping.file(), EXPORTED).orElseThrow();
        System.out.printf("found %s in %s in %.0f ms%n", EXPORTED, mapping.file().getFileName(),
                (System.nanoTime() - started) / 1e6);

        long base = mapping.start() - ElfSymbols.firstLoadAddress(mapping.file());
        assertThat(symbol.isFunction()).isTrue();
        assertThat(base + symbol.value()).isEqualTo(Pointer.nativeValue(lib.getFunction(EXPORTED)));
    }

    @Test
    void aPrivateFunctionIsFoundAndAMissingNameIsNot() throws Exception {
        TorchRuntime.engine();
        Path file = Libtorch.mapping().orElseThrow().file();
        // oneDNN's accessor is local to the library: dlsym cannot see it, the full table lists it
        assertThat(ElfSymbols.find(file, OnednnCacheSizes.ACCESSOR)).hasValueSatisfying(s ->
                assertThat(s.isFunction()).isTrue());
        assertThat(ElfSymbols.find(file, OnednnCacheSizes.ACCESSOR.substring(1))).isEmpty();
        assertThat(ElfSymbols.find(file, "_ZN4dnnl4impl3cpu3x643cpuEv_no_such_name")).isEmpty();
    }

    @Test
    void aFileThatIsNotElfHasNoSymbols(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("not-a-library.so"), "x".repeat(200));
        assertThat(ElfSymbols.find(text, EXPORTED)).isEmpty();
    }
}
