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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String name : new String[] {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
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
