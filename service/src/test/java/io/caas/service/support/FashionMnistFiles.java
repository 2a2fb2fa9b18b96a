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

    /**
     * The first {@code n} images of a split ("train" or "t10k") as an npz for a two-input model: "top.npy" and
     * "bottom.npy" (uint8, n × 392: rows 0-13 and 14-27 of each image) and "y.npy" (uint8 labels).
     */
    public static byte[] halvesNpz(String split, int n) throws IOException {
        byte[] pixels = body(split + "-images-idx3-ubyte.gz", 16, n * 784);
        byte[] labels = body(split + "-labels-idx1-ubyte.gz", 8, n);
        byte[] top = new byte[n * 392];
        byte[] bottom = new byte[n * 392];
        for (int i = 0; i < n; i++) {
            System.arraycopy(pixels, i * 784, top, i * 392, 392);
            System.arraycopy(pixels, i * 784 + 392, bottom, i * 392, 392);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("top.npy"));
            zip.write(npy(n + ", 392", top));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("bottom.npy"));
            zip.write(npy(n + ", 392", bottom));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("y.npy"));
            zip.write(npy(n + ",", labels));
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    /** A uint8 .npy (format 1.0) as numpy.save writes it: magic, header dict padded to 64 bytes, raw data. */
    private static byte[] npy(String shape, byte[] data) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + shape + "), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >> 8);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        return out.toByteArray();
    }

    private static byte[] body(String name, int headerBytes, int length) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(TestMaterial.fashionMnist(name)))) {
            in.skipNBytes(headerBytes);
            return in.readNBytes(length);
        }
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
