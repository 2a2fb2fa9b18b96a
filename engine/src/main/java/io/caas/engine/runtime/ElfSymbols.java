package io.caas.engine.runtime;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a symbol of a 64-bit little-endian ELF shared library from its full symbol table ({@code .symtab}), which,
 * unlike the dynamic one, also lists the library's internal functions: the few a caller needs a private address of
 * and that {@code dlsym} cannot find.
 */
final class ElfSymbols {

    /** The first four bytes of every ELF file (0x7f, E, L, F), read as a little-endian int. */
    static final int MAGIC = 0x464c457f;
    private static final int SHT_SYMTAB = 2;
    private static final int STT_FUNC = 2;
    private static final int PT_LOAD = 1;
    private static final int SYMBOL_SIZE = 24;

    /** A symbol's value (its address relative to the library's load base) and its ELF type. */
    record Symbol(long value, int type) {

        boolean isFunction() {
            return type == STT_FUNC;
        }
    }

    private ElfSymbols() {
    }

    /** The named symbol of the file's {@code .symtab}; empty where the file has none (stripped) or lacks the name. */
    static Optional<Symbol> find(Path library, String name) throws IOException {
        try (FileChannel file = FileChannel.open(library, StandardOpenOption.READ)) {
            Optional<MappedByteBuffer> header = header(file);
            if (header.isEmpty()) {
                return Optional.empty();
            }
            Table sections = table(file, header.get(), 0x28, 0x3a, 0x3c);
            for (int i = 0; i < sections.count(); i++) {
                int at = i * sections.entrySize();
                if (sections.entries().getInt(at + 4) == SHT_SYMTAB) {
                    int stringsAt = sections.entries().getInt(at + 40) * sections.entrySize();
                    return find(section(file, sections, at), section(file, sections, stringsAt), name);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * The virtual address at which the file's first loadable segment starts, which is where it is mapped from
     * offset 0: a library's load base is the address of that mapping less this.
     */
    static long firstLoadAddress(Path library) throws IOException {
        try (FileChannel file = FileChannel.open(library, StandardOpenOption.READ)) {
            MappedByteBuffer header = header(file).orElseThrow(() -> new IOException(library + " is not 64-bit ELF"));
            Table segments = table(file, header, 0x20, 0x36, 0x38);
            for (int i = 0; i < segments.count(); i++) {
                int at = i * segments.entrySize();
                if (segments.entries().getInt(at) == PT_LOAD && segments.entries().getLong(at + 8) == 0) {
                    return segments.entries().getLong(at + 16);
                }
            }
            throw new IOException(library + " has no loadable segment at offset 0");
        }
    }

    /** A table the ELF header points to (sections, program segments), its entries' size and count. */
    private record Table(MappedByteBuffer entries, int entrySize, int count) {
    }

    /** The ELF header of a 64-bit little-endian file, or empty for any other file. */
    private static Optional<MappedByteBuffer> header(FileChannel file) throws IOException {
        if (file.size() < 64) {
            return Optional.empty();
        }
        MappedByteBuffer header = map(file, 0, 64);
        boolean elf64le = header.getInt(0) == MAGIC && header.get(4) == 2 && header.get(5) == 1;
        return elf64le ? Optional.of(header) : Optional.empty();
    }

    private static Table table(FileChannel file, MappedByteBuffer header, int offsetAt, int sizeAt, int countAt)
            throws IOException {
        int size = Short.toUnsignedInt(header.getShort(sizeAt));
        int count = Short.toUnsignedInt(header.getShort(countAt));
        return new Table(map(file, header.getLong(offsetAt), (long) size * count), size, count);
    }

    /** The contents of the section whose header starts at {@code at} in the section table. */
    private static MappedByteBuffer section(FileChannel file, Table sections, int at) throws IOException {
        return map(file, sections.entries().getLong(at + 24), sections.entries().getLong(at + 32));
    }

    private static Optional<Symbol> find(MappedByteBuffer symbols, MappedByteBuffer strings, String name) {
        // A linker may store a name as the tail of a longer one, so every place the name ends a string counts.
        Set<Integer> offsets = nameOffsets(strings, name.getBytes(StandardCharsets.US_ASCII));
        if (offsets.isEmpty()) {
            return Optional.empty();
        }
        for (int at = 0; at + SYMBOL_SIZE <= symbols.limit(); at += SYMBOL_SIZE) {
            if (offsets.contains(symbols.getInt(at))) {
                return Optional.of(new Symbol(symbols.getLong(at + 8), symbols.get(at + 4) & 0xf));
            }
        }
        return Optional.empty();
    }

    private static Set<Integer> nameOffsets(MappedByteBuffer strings, byte[] name) {
        Set<Integer> offsets = new HashSet<>();
        int end = strings.limit() - name.length;
        for (int i = 0; i < end; i++) {
            if (strings.get(i) == name[0] && matches(strings, i, name) && strings.get(i + name.length) == 0) {
                offsets.add(i);
            }
        }
        return offsets;
    }

    private static boolean matches(MappedByteBuffer strings, int at, byte[] name) {
        for (int j = 1; j < name.length; j++) {
            if (strings.get(at + j) != name[j]) {
                return false;
            }
        }
        return true;
    }

    private static MappedByteBuffer map(FileChannel file, long offset, long size) throws IOException {
        if (size > Integer.MAX_VALUE || offset + size > file.size()) {
            throw new IOException("ELF section out of range: " + offset + "+" + size);
        }
        MappedByteBuffer buffer = file.map(FileChannel.MapMode.READ_ONLY, offset, size);
        buffer.order(ByteOrder.LITTLE_ENDIAN);
        return buffer;
    }
}
