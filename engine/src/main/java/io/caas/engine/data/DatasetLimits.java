package io.caas.engine.data;

/**
 * Caps that keep a hostile upload from exhausting a worker. Every size is checked against what is really read,
 * never against what a header or a zip directory declares.
 *
 * @param maxUncompressedBytes cap on bytes produced by decompression (all entries of an archive together)
 * @param maxCompressionRatio  cap on uncompressed / compressed bytes; real datasets compress 2-10x, bombs 1000x
 * @param maxTensorBytes       cap on the in-memory size a header declares (IDX dims, npy shape), checked before
 *                             allocating; also caps the float features the loader builds
 * @param maxEntries           cap on archive entries (image zips hold one file per sample)
 * @param maxImagePixels       cap on width × height of one image, checked from its header before decoding
 */
public record DatasetLimits(long maxUncompressedBytes, double maxCompressionRatio, long maxTensorBytes,
                            int maxEntries, long maxImagePixels) {

    /** Floats in one Java array: the {@link Dataset} holds its features in a single float[]. */
    static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

    public DatasetLimits {
        if (maxUncompressedBytes <= 0 || maxCompressionRatio <= 1 || maxTensorBytes <= 0 || maxEntries <= 0
                || maxImagePixels <= 0) {
            throw new IllegalArgumentException("dataset limits must be positive (ratio > 1)");
        }
    }

    /**
     * Sized for Fashion-MNIST-class data (60,000 × 784 floats = 188 MB) with head room, below a worker's 4 GB
     * heap; the ratio lets zero-heavy numpy arrays through (they compress ~50x) while refusing bombs.
     */
    public static DatasetLimits defaults() {
        return new DatasetLimits(1L << 30, 200, 1L << 30, 200_000, 4096L * 4096L);
    }

    public DatasetLimits withMaxTensorBytes(long bytes) {
        return new DatasetLimits(maxUncompressedBytes, maxCompressionRatio, bytes, maxEntries, maxImagePixels);
    }

    public DatasetLimits withMaxUncompressedBytes(long bytes) {
        return new DatasetLimits(bytes, maxCompressionRatio, maxTensorBytes, maxEntries, maxImagePixels);
    }

    public DatasetLimits withMaxCompressionRatio(double ratio) {
        return new DatasetLimits(maxUncompressedBytes, ratio, maxTensorBytes, maxEntries, maxImagePixels);
    }

    /** Refuses a declared float count before anything is allocated. */
    void checkFloats(long count, String what) {
        if (count < 0 || count > MAX_FLOATS || count * 4 > maxTensorBytes) {
            String bytes = count > Long.MAX_VALUE / 4 ? "more than 2^61" : Long.toString(count * 4);
            throw new DatasetFormatException(what + " declares " + count + " values (" + bytes
                    + " bytes as floats), over the limit of " + maxTensorBytes + " bytes");
        }
    }
}
