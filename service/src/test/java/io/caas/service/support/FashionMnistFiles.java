package io.caas.service.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Real Fashion-MNIST files, packed the ways users upload them. */
public final class FashionMnistFiles {

    private FashionMnistFiles() {
    }

    /** The 10,000 test images and their labels, as the two original .gz files in one zip. */
    public static byte[] testSplitIdxZip() throws IOException {
        return idxZip("t10k");
    }

    /**
     * The first {@code n} training images and their labels as IDX files in one zip: the same bytes as the
     * original files, with the sample count in the headers cut to {@code n}.
     */
    public static byte[] trainSplitIdxZip(int n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("train-images-idx3-ubyte"));
            zip.write(head("train-images-idx3-ubyte.gz", 16, n, 784));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("train-labels-idx1-ubyte"));
            zip.write(head("train-labels-idx1-ubyte.gz", 8, n, 1));
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    private static byte[] head(String name, int headerBytes, int n, int bytesPerSample) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(TestMaterial.fashionMnist(name)))) {
            byte[] header = in.readNBytes(headerBytes);
            java.nio.ByteBuffer.wrap(header).putInt(4, n); // big-endian sample count after the magic number
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(header);
            out.write(in.readNBytes(n * bytesPerSample));
            return out.toByteArray();
        }
    }

    private static byte[] idxZip(String split) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String name : new String[] {split + "-images-idx3-ubyte.gz", split + "-labels-idx1-ubyte.gz"}) {
                zip.putNextEntry(new ZipEntry(name));
                zip.write(Files.readAllBytes(TestMaterial.fashionMnist(name)));
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** The first {@code n} test images as CSV rows: 784 pixel values in [0, 255], then the label. */
    public static byte[] testSplitCsv(int n) throws IOException {
        StringBuilder csv = new StringBuilder();
        try (DataInputStream images = idx("t10k-images-idx3-ubyte.gz", 16);
             DataInputStream labels = idx("t10k-labels-idx1-ubyte.gz", 8)) {
            byte[] pixels = new byte[784];
            for (int i = 0; i < n; i++) {
                images.readFully(pixels);
                for (byte p : pixels) {
                    csv.append(p & 0xff).append(',');
                }
                csv.append(labels.readUnsignedByte()).append('\n');
            }
        }
        return csv.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static DataInputStream idx(String name, int header) throws IOException {
        InputStream in = new GZIPInputStream(Files.newInputStream(TestMaterial.fashionMnist(name)));
        DataInputStream data = new DataInputStream(in);
        data.skipNBytes(header);
        return data;
    }
}
