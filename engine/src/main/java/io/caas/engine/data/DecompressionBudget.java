package io.caas.engine.data;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts compressed bytes going into a decompressor and uncompressed bytes coming out, and stops the read as
 * soon as either the total or the ratio goes over the limits. Declared sizes (zip directory, gzip trailer) are
 * never consulted: they are what a bomb lies about.
 */
final class DecompressionBudget {

    /** Below this the ratio is not judged: a tiny file of zeros compresses well and harms nobody. */
    private static final long RATIO_GRACE_BYTES = 1 << 20;

    private final DatasetLimits limits;
    private final String source;
    private long compressed;
    private long uncompressed;

    DecompressionBudget(DatasetLimits limits, String source) {
        this.limits = limits;
        this.source = source;
    }

    /** Wraps the raw (compressed) stream so its bytes are counted. */
    InputStream countCompressed(InputStream raw) {
        return new FilterInputStream(raw) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    compressed++;
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    compressed += n;
                }
                return n;
            }
        };
    }

    /** Wraps a decompressed stream so its bytes are charged; closing it leaves the underlying stream open. */
    InputStream chargeUncompressed(InputStream decompressed) {
        return new FilterInputStream(decompressed) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    charge(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                if (n > 0) {
                    charge(n);
                }
                return n;
            }

            @Override
            public void close() {
                // the archive stream is closed by whoever opened it
            }
        };
    }

    private void charge(long n) {
        uncompressed += n;
        if (uncompressed > limits.maxUncompressedBytes()) {
            throw new DatasetFormatException(source + " decompresses to more than " + limits.maxUncompressedBytes()
                    + " bytes; refused as a possible zip bomb");
        }
        if (uncompressed > RATIO_GRACE_BYTES
                && uncompressed > limits.maxCompressionRatio() * Math.max(compressed, 1)) {
            throw new DatasetFormatException(source + " expands more than " + limits.maxCompressionRatio()
                    + " times (" + uncompressed + " bytes from " + compressed + "); refused as a possible zip bomb");
        }
    }

    long uncompressed() {
        return uncompressed;
    }
}
