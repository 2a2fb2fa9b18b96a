package io.caas.service.dataset;

import java.util.List;
import java.util.Locale;

/** Which part of a client's file name may be kept on the stored object: a known extension, nothing else. */
final class DatasetFileNames {

    private static final List<String> KNOWN = List.of(".csv.gz", ".csv", ".npz", ".zip", ".gz", ".idx");

    private DatasetFileNames() {
    }

    static String extension(String filename) {
        if (filename == null) {
            return "";
        }
        String lower = filename.toLowerCase(Locale.ROOT);
        return KNOWN.stream().filter(lower::endsWith).findFirst().orElse("");
    }
}
