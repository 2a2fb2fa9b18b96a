package io.caas.engine.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/** Opens plain, gzip and zip inputs with the zip-slip and zip-bomb checks every loader needs. */
final class Archives {

    private Archives() {
    }

    interface EntryHandler {
        void entry(String name, InputStream content) throws IOException;
    }

    static boolean isGzip(byte[] head) {
        return head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
    }

    static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    static byte[] head(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    /** The file's content, transparently gunzipped under the budget when it starts with the gzip magic. */
    static InputStream openMaybeGzip(Path file, DatasetLimits limits) throws IOException {
        boolean gz = isGzip(head(file, 2));
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (!gz) {
            // a plain file is read whole by some loaders (a CSV line), so its size is capped like decompressed data
            if (Files.size(file) > limits.maxUncompressedBytes()) {
                raw.close();
                throw new DatasetFormatException(file.getFileName() + " is " + Files.size(file) + " bytes, over the "
                        + "limit of " + limits.maxUncompressedBytes());
            }
            return raw;
        }
        DecompressionBudget budget = new DecompressionBudget(limits, file.getFileName().toString());
        InputStream counted = budget.countCompressed(raw);
        InputStream gunzip = new GZIPInputStream(counted, 1 << 16) {
            @Override
            public void close() throws IOException {
                super.close();
                raw.close();
            }
        };
        InputStream charged = budget.chargeUncompressed(gunzip);
        return new BufferedInputStream(charged, 1 << 16) {
            @Override
            public void close() throws IOException {
                gunzip.close();
            }
        };
    }

    /** Gunzips a stream (a .gz inside a zip) under its own budget. */
    static InputStream gunzip(InputStream compressed, DatasetLimits limits, String name) throws IOException {
        DecompressionBudget budget = new DecompressionBudget(limits, name);
        return budget.chargeUncompressed(new GZIPInputStream(budget.countCompressed(compressed), 1 << 16));
    }

    /**
     * Streams every file entry of a zip to the handler. Entry names are checked before anything is read; sizes are
     * counted as they stream. Directory entries are skipped.
     */
    static void forEachEntry(Path zip, DatasetLimits limits, EntryHandler handler) throws IOException {
        DecompressionBudget budget = new DecompressionBudget(limits, zip.getFileName().toString());
        int entries = 0;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(zip), 1 << 16);
             ZipInputStream in = new ZipInputStream(budget.countCompressed(raw))) {
            ZipEntry e;
            while ((e = nextEntry(in)) != null) {
                if (++entries > limits.maxEntries()) {
                    throw new DatasetFormatException("archive holds more than " + limits.maxEntries() + " entries");
                }
                String name = checkedName(e.getName());
                if (e.isDirectory()) {
                    continue;
                }
                handler.entry(name, budget.chargeUncompressed(in));
            }
        } catch (ZipException e) {
            throw new DatasetFormatException("not a readable zip archive: " + e.getMessage(), e);
        }
        if (entries == 0) {
            throw new DatasetFormatException("the zip archive is empty or not a zip archive");
        }
    }

    private static ZipEntry nextEntry(ZipInputStream in) throws IOException {
        try {
            return in.getNextEntry();
        } catch (IllegalArgumentException e) { // malformed entry name encoding
            throw new DatasetFormatException("zip entry has an unreadable name: " + e.getMessage(), e);
        }
    }

    /** Refuses names that would escape an extraction folder, even though nothing is extracted to disk. */
    static String checkedName(String name) {
        String n = name.replace('\\', '/');
        if (n.isEmpty() || n.startsWith("/") || n.matches("^[A-Za-z]:.*") || n.indexOf('\0') >= 0) {
            throw new DatasetFormatException("zip entry '" + name + "' has an absolute path; refused");
        }
        for (String segment : n.split("/")) {
            if (segment.equals("..")) {
                throw new DatasetFormatException("zip entry '" + name + "' climbs out of the archive with '..'; refused");
            }
        }
        return n;
    }
}
