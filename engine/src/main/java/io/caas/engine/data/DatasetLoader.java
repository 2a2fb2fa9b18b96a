package io.caas.engine.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** The one entry point for reading a dataset file; every failure is a {@link DatasetFormatException}. */
public final class DatasetLoader {

    /** The names a single-input npz gives its features under, and its labels under, each in order of precedence. */
    private static final List<String> NPZ_FEATURE_KEYS = List.of("x", "X", "features");
    private static final List<String> NPZ_LABEL_KEYS = List.of("y", "labels");

    private DatasetLoader() {
    }

    public static Dataset load(Path file, DatasetLimits limits) {
        return load(file, detect(file), limits);
    }

    public static Dataset load(Path file, DatasetFormat format, DatasetLimits limits) {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException("dataset file " + file.getFileName() + " does not exist");
        }
        try {
            return switch (format) {
                case IDX -> loadIdx(file, limits);
                case CSV -> {
                    try (InputStream in = Archives.openMaybeGzip(file, limits)) {
                        yield CsvReader.read(in, file.getFileName().toString(), limits);
                    }
                }
                case NPZ -> loadNpz(file, limits);
                case IMAGE_ZIP -> ImageFolderReader.read(file, limits);
            };
        } catch (IOException e) {
            throw new DatasetFormatException("cannot read " + file.getFileName() + ": " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new DatasetFormatException("cannot read " + file.getFileName() + ": " + e.getCause().getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new DatasetFormatException(file.getFileName() + " does not fit in memory; lower the dataset limits", null);
        }
    }

    /**
     * Tells the format from the content first (magic bytes), the file name only where content cannot tell (CSV
     * is just text).
     */
    public static DatasetFormat detect(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            byte[] head = Archives.head(file, 8);
            if (Archives.isZip(head)) {
                String first = firstZipEntry(file);
                if (name.endsWith(".npz") || first.endsWith(".npy")) {
                    return DatasetFormat.NPZ;
                }
                // an image-folder zip holds images, never gzip files: a .gz member is IDX whatever its name
                return first.contains("ubyte") || first.endsWith(".idx") || first.endsWith(".gz") ? DatasetFormat.IDX
                        : DatasetFormat.IMAGE_ZIP;
            }
            byte[] content = head;
            if (Archives.isGzip(head)) {
                try (InputStream in = Archives.openMaybeGzip(file, DatasetLimits.defaults())) {
                    content = in.readNBytes(8);
                }
            }
            if (IdxReader.looksLikeIdx(content)) {
                return DatasetFormat.IDX;
            }
            if (content.length > 0 && (content[0] & 0xff) == 0x93) {
                throw new DatasetFormatException(file.getFileName() + " is a single .npy array; save features and "
                        + "labels together with numpy.savez(file, x=..., y=...)");
            }
            if (name.matches(".*\\.(csv|tsv|txt)(\\.gz)?$") || printable(content)) {
                return DatasetFormat.CSV;
            }
        } catch (IOException e) {
            throw new DatasetFormatException("cannot read " + file.getFileName() + ": " + e.getMessage(), e);
        }
        throw new DatasetFormatException(file.getFileName() + " is in no known dataset format (IDX, CSV, NPZ, "
                + "image-folder zip)");
    }

    private static boolean printable(byte[] content) {
        if (content.length == 0) {
            return false;
        }
        for (byte b : content) {
            if (b < 0x09 || (b > 0x0d && b < 0x20)) {
                return false;
            }
        }
        return true;
    }

    /**
     * What macOS's Finder adds to a zip it makes (a {@code __MACOSX/} folder of {@code ._name} resource forks): not
     * the user's data, so skipped, as the image-folder reader skips it.
     */
    private static boolean macMetadata(String entry) {
        return entry.startsWith("__MACOSX/") || entry.substring(entry.lastIndexOf('/') + 1).startsWith("._");
    }

    private static String firstZipEntry(Path file) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (!e.isDirectory() && !macMetadata(e.getName())) {
                    return e.getName().toLowerCase(Locale.ROOT);
                }
            }
            return "";
        } catch (IllegalArgumentException e) {
            throw new DatasetFormatException("zip entry has an unreadable name", e);
        }
    }

    /**
     * An IDX images file with its labels file found alongside by MNIST's naming ("...-images-idx3-ubyte" next to
     * "...-labels-idx1-ubyte", raw or gzip), or a zip holding both files.
     */
    private static Dataset loadIdx(Path file, DatasetLimits limits) throws IOException {
        String name = file.getFileName().toString();
        NumericArray images;
        NumericArray labels = null;
        if (Archives.isZip(Archives.head(file, 4))) {
            List<NumericArray> arrays = new ArrayList<>();
            Archives.forEachEntry(file, limits, (entry, content) -> {
                if (macMetadata(entry)) {
                    return;
                }
                InputStream in = entry.endsWith(".gz") ? Archives.gunzip(content, limits, entry) : content;
                arrays.add(IdxReader.read(in, entry, limits));
            });
            images = arrays.stream().filter(a -> a.shape().length > 1).findFirst()
                    .orElseThrow(() -> new DatasetFormatException(name + " holds no IDX images file"));
            labels = arrays.stream().filter(a -> a.shape().length == 1).findFirst().orElse(null);
        } else {
            try (InputStream in = Archives.openMaybeGzip(file, limits)) {
                images = IdxReader.read(in, name, limits);
            }
            Path labelsFile = file.resolveSibling(name.replace("images-idx3", "labels-idx1"));
            if (!labelsFile.equals(file) && Files.isRegularFile(labelsFile)) {
                try (InputStream in = Archives.openMaybeGzip(labelsFile, limits)) {
                    labels = IdxReader.read(in, labelsFile.getFileName().toString(), limits);
                }
            }
        }
        long[] shape = images.shape();
        if (shape.length == 1) {
            throw new DatasetFormatException(name + " holds one value per sample (a labels file); give the images "
                    + "file, with the labels file next to it");
        }
        long[] sample = shape.length == 3 ? new long[] {1, shape[1], shape[2]} : null;
        return Datasets.of(name, images, labels, sample);
    }

    /**
     * Features as x (or X, or features) and labels as y (or labels); for a model with several inputs, one array per model
     * input, keyed by the input's name, plus the labels as y or labels (optional: without, it distils).
     */
    private static Dataset loadNpz(Path file, DatasetLimits limits) throws IOException {
        Map<String, NumericArray> kept = new LinkedHashMap<>();
        Archives.forEachEntry(file, limits, (entry, content) -> {
            if (!entry.endsWith(".npy")) {
                return;
            }
            String key = entry.substring(0, entry.length() - 4);
            kept.put(key, NpyReader.read(content, entry, limits));
        });
        if (kept.isEmpty()) {
            throw new DatasetFormatException(file.getFileName() + " holds no .npy arrays");
        }
        String name = file.getFileName().toString();
        // any feature name with any label name: x beside labels was once read as unlabelled, without a word
        String labelKey = NPZ_LABEL_KEYS.stream().filter(kept::containsKey).findFirst().orElse(null);
        for (String features : NPZ_FEATURE_KEYS) {
            if (kept.containsKey(features)) {
                return Datasets.of(name, kept.get(features), labelKey == null ? null : kept.get(labelKey), null);
            }
        }
        int featureArrays = kept.size() - (labelKey == null ? 0 : 1);
        if (featureArrays >= 2 && (labelKey != null || kept.size() > 2)) {
            Map<String, NumericArray> inputs = new LinkedHashMap<>(kept);
            NumericArray labels = labelKey == null ? null : inputs.remove(labelKey);
            return Datasets.ofInputs(name, inputs, labels);
        }
        List<NumericArray> firstTwo = new ArrayList<>(kept.values()).subList(0, Math.min(2, kept.size()));
        return Datasets.of(name, firstTwo.get(0), firstTwo.size() > 1 ? firstTwo.get(1) : null, null);
    }
}
