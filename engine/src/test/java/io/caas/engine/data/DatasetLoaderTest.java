package io.caas.engine.data;

import static io.caas.engine.data.DataFiles.floats;
import static io.caas.engine.data.DataFiles.gzip;
import static io.caas.engine.data.DataFiles.idx;
import static io.caas.engine.data.DataFiles.longs;
import static io.caas.engine.data.DataFiles.npy;
import static io.caas.engine.data.DataFiles.zip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.testing.TestData;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    private static final DatasetLimits LIMITS = DatasetLimits.defaults();

    @TempDir
    Path dir;

    @Test
    void readsFashionMnistTestSetWithItsLabels() {
        Path images = TestData.fashionMnist("t10k-images-idx3-ubyte.gz");
        assertThat(DatasetLoader.detect(images)).isEqualTo(DatasetFormat.IDX);

        Dataset d = DatasetLoader.load(images, LIMITS);

        assertThat(d.size()).isEqualTo(10_000);
        assertThat(d.sampleShape()).containsExactly(1, 28, 28);
        assertThat(d.classes()).isEqualTo(10);
        int[] perClass = new int[10];
        for (int label : d.labels()) {
            perClass[label]++;
        }
        assertThat(perClass).containsOnly(1000); // Fashion-MNIST's test set is balanced
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float f : d.features()) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        assertThat(min).isEqualTo(0f);
        assertThat(max).isEqualTo(1f);
    }

    @Test
    void readsFashionMnistTrainingSet() {
        Dataset d = DatasetLoader.load(TestData.fashionMnist("train-images-idx3-ubyte.gz"), DatasetFormat.IDX, LIMITS);
        assertThat(d.size()).isEqualTo(60_000);
        assertThat(d.labels()).hasSize(60_000);
    }

    @Test
    void readsIdxImagesAndLabelsFromOneZip() throws IOException {
        byte[] images = Files.readAllBytes(TestData.fashionMnist("t10k-images-idx3-ubyte.gz"));
        byte[] labels = Files.readAllBytes(TestData.fashionMnist("t10k-labels-idx1-ubyte.gz"));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("t10k-labels-idx1-ubyte.gz", labels);
        entries.put("t10k-images-idx3-ubyte.gz", images);
        Path z = zip(dir.resolve("fmnist.zip"), entries);

        assertThat(DatasetLoader.detect(z)).isEqualTo(DatasetFormat.IDX);
        Dataset d = DatasetLoader.load(z, LIMITS);
        assertThat(d.size()).isEqualTo(10_000);
        assertThat(d.labelled()).isTrue();
    }

    @Test
    void explainsThatALabelsFileIsNotTheImages() {
        assertThatThrownBy(() -> DatasetLoader.load(TestData.fashionMnist("t10k-labels-idx1-ubyte.gz"), LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("labels file");
    }

    @Test
    void refusesTruncatedIdx() throws IOException {
        Path f = Files.write(dir.resolve("x-images-idx3-ubyte"), idx(new int[] {100, 28, 28}, new byte[28 * 28 * 10]));
        assertThatThrownBy(() -> DatasetLoader.load(f, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("truncated");
    }

    @Test
    void refusesIdxHeaderDeclaringHugeShapeBeforeAllocating() throws IOException {
        Path f = Files.write(dir.resolve("x-images-idx3-ubyte.gz"),
                gzip(idx(new int[] {60000, 60000, 60000}, new byte[16])));
        assertThatThrownBy(() -> DatasetLoader.load(f, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("over the limit");
        Path overflow = Files.write(dir.resolve("o-images-idx3-ubyte"), idx(new int[] {-1, -1, -1, -1}, new byte[0]));
        assertThatThrownBy(() -> DatasetLoader.load(overflow, LIMITS)).hasMessageContaining("too large");
        Path g = Files.write(dir.resolve("y-images-idx3-ubyte"), idx(new int[] {1000, 28, 28}, new byte[1000 * 784]));
        assertThatThrownBy(() -> DatasetLoader.load(g, LIMITS.withMaxTensorBytes(1000)))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("over the limit of 1000 bytes");
    }

    @Test
    void refusesGzipBomb() throws IOException {
        byte[] header = idx(new int[] {50_000, 1000}, new byte[0]);
        byte[] content = new byte[header.length + 50_000_000]; // zeros after the header: ~1000x compression
        System.arraycopy(header, 0, content, 0, header.length);
        Path f = Files.write(dir.resolve("bomb-images-idx3-ubyte.gz"), gzip(content));
        assertThatThrownBy(() -> DatasetLoader.load(f, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("zip bomb");
    }

    @Test
    void readsCsvWithAndWithoutHeader() throws IOException {
        Path withHeader = Files.writeString(dir.resolve("a.csv"), "f1,f2,f3,label\n0.5,1,2,0\n3,4,5,2\n\n");
        Dataset d = DatasetLoader.load(withHeader, LIMITS);
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.sampleShape()).containsExactly(3);
        assertThat(d.features()).containsExactly(0.5f, 1, 2, 3, 4, 5);
        assertThat(d.labels()).containsExactly(0, 2);
        assertThat(d.classes()).isEqualTo(3);

        Path gz = Files.write(dir.resolve("b.csv.gz"), gzip("1;2;1\n3;4;0\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(DatasetLoader.detect(gz)).isEqualTo(DatasetFormat.CSV);
        assertThat(DatasetLoader.load(gz, LIMITS).labels()).containsExactly(1, 0);
    }

    @Test
    void refusesAPlainFileOverTheSizeLimit() throws IOException {
        Path csv = Files.writeString(dir.resolve("big.csv"), "1,2,0\n".repeat(100));
        assertThatThrownBy(() -> DatasetLoader.load(csv, LIMITS.withMaxUncompressedBytes(100)))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("over the limit of 100");
    }

    @Test
    void refusesBadCsvNamingTheLine() throws IOException {
        Path ragged = Files.writeString(dir.resolve("r.csv"), "1,2,0\n1,2,3,0\n");
        assertThatThrownBy(() -> DatasetLoader.load(ragged, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("line 2 has 4 columns, expected 3");
        Path text = Files.writeString(dir.resolve("t.csv"), "1,2,0\n1,abc,0\n");
        assertThatThrownBy(() -> DatasetLoader.load(text, LIMITS))
                .hasMessageContaining("line 2 column 2: 'abc' is not a finite number");
        Path label = Files.writeString(dir.resolve("l.csv"), "1,2,0.5\n");
        assertThatThrownBy(() -> DatasetLoader.load(label, LIMITS)).hasMessageContaining("not a class index");
    }

    @Test
    void readsNpzByConventionalNames() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("meta.npy", npy("<f4", "1,", floats(7)));
        entries.put("x.npy", npy("|u1", "2, 1, 2, 2", new byte[] {0, (byte) 255, 51, 102, 0, 0, 0, (byte) 255}));
        entries.put("y.npy", npy("<i8", "2,", longs(1, 0)));
        Path f = zip(dir.resolve("d.npz"), entries);

        assertThat(DatasetLoader.detect(f)).isEqualTo(DatasetFormat.NPZ);
        Dataset d = DatasetLoader.load(f, LIMITS);
        assertThat(d.sampleShape()).containsExactly(1, 2, 2);
        assertThat(d.features()).containsExactly(0f, 1f, 0.2f, 0.4f, 0f, 0f, 0f, 1f);
        assertThat(d.labels()).containsExactly(1, 0);
    }

    @Test
    void readsNpzFallingBackToFirstTwoArrays() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("inputs.npy", npy("<f4", "3, 2", floats(1, 2, 3, 4, 5, 6)));
        entries.put("targets.npy", npy("<i8", "3,", longs(0, 1, 1)));
        Dataset d = DatasetLoader.load(zip(dir.resolve("e.npz"), entries), LIMITS);
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.sampleShape()).containsExactly(2);
        assertThat(d.classes()).isEqualTo(2);
    }

    @Test
    void readsNpzWithOneArrayPerModelInput() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("image.npy", npy("<f4", "2, 1, 2", floats(1, 2, 3, 4)));
        entries.put("y.npy", npy("<i8", "2,", longs(1, 0)));
        entries.put("audio.npy", npy("|u1", "2, 3", new byte[] {0, (byte) 255, 0, 51, 0, 0}));
        Dataset d = DatasetLoader.load(zip(dir.resolve("two.npz"), entries), LIMITS);
        assertThat(d.multiInput()).isTrue();
        assertThat(d.inputs()).extracting(DatasetInput::name).containsExactly("image", "audio");
        assertThat(d.inputs().get(0).sampleShape()).containsExactly(1, 2);
        assertThat(d.inputs().get(1).sampleShape()).containsExactly(3);
        assertThat(d.sampleShape()).containsExactly(5);
        // sample by sample: the image's values, then the audio's (bytes scaled to [0, 1])
        assertThat(d.features()).containsExactly(1f, 2f, 0f, 1f, 0f, 3f, 4f, 0.2f, 0f, 0f);
        assertThat(d.labels()).containsExactly(1, 0);

        Map<String, byte[]> uneven = new LinkedHashMap<>();
        uneven.put("a.npy", npy("<f4", "2, 1", floats(1, 2)));
        uneven.put("b.npy", npy("<f4", "3, 1", floats(1, 2, 3)));
        uneven.put("labels.npy", npy("<i8", "2,", longs(1, 0)));
        assertThatThrownBy(() -> DatasetLoader.load(zip(dir.resolve("uneven.npz"), uneven), LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("'b' has 3 samples but 'a' has 2");
    }

    @Test
    void refusesLyingTruncatedAndUnsupportedNpy() throws IOException {
        Path huge = zip(dir.resolve("h.npz"), Map.of("x.npy", npy("<f4", "100000, 100000, 100", floats(1))));
        assertThatThrownBy(() -> DatasetLoader.load(huge, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("over the limit");
        Path overflow = zip(dir.resolve("o.npz"),
                Map.of("x.npy", npy("<f4", "4294967296, 4294967296, 4294967296", floats(1))));
        assertThatThrownBy(() -> DatasetLoader.load(overflow, LIMITS)).hasMessageContaining("too large");
        Path truncated = zip(dir.resolve("t.npz"), Map.of("x.npy", npy("<f4", "4, 2", floats(1, 2, 3))));
        assertThatThrownBy(() -> DatasetLoader.load(truncated, LIMITS)).hasMessageContaining("truncated");
        Path complex = zip(dir.resolve("c.npz"), Map.of("x.npy", npy("<c8", "1,", longs(0))));
        assertThatThrownBy(() -> DatasetLoader.load(complex, LIMITS)).hasMessageContaining("dtype '<c8'");
        Path mismatch = zip(dir.resolve("m.npz"), new LinkedHashMap<>(Map.of(
                "x.npy", npy("<f4", "2, 1", floats(1, 2)), "y.npy", npy("<i4", "3,", new byte[12]))));
        assertThatThrownBy(() -> DatasetLoader.load(mismatch, LIMITS)).hasMessageContaining("3 labels for 2 samples");
    }

    @Test
    void refusesZipSlipEntries() throws IOException {
        Path slip = zip(dir.resolve("slip.zip"), Map.of("cat/../../evil.png", png(2, 2, false)));
        assertThatThrownBy(() -> DatasetLoader.load(slip, DatasetFormat.IMAGE_ZIP, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("'..'");
        Path abs = zip(dir.resolve("abs.npz"), Map.of("/etc/x.npy", npy("<f4", "1,", floats(1))));
        assertThatThrownBy(() -> DatasetLoader.load(abs, DatasetFormat.NPZ, LIMITS))
                .hasMessageContaining("absolute path");
    }

    @Test
    void refusesZipBombByRatioAndByTotal() throws IOException {
        byte[] zeros = npy("<f4", "12500000,", new byte[50_000_000]); // 50 MB of zeros, ~50 KB deflated
        Path bomb = zip(dir.resolve("bomb.npz"), Map.of("x.npy", zeros));
        assertThat(Files.size(bomb)).isLessThan(1_000_000);
        assertThatThrownBy(() -> DatasetLoader.load(bomb, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("zip bomb");
        byte[] small = npy("<f4", "300000,", floats(new float[300_000]));
        Path big = zip(dir.resolve("big.npz"), Map.of("x.npy", small));
        assertThatThrownBy(() -> DatasetLoader.load(big, LIMITS.withMaxUncompressedBytes(100_000)))
                .hasMessageContaining("more than 100000 bytes");
    }

    @Test
    void readsImageFolderZip() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("root/dog/1.png", png(4, 3, true));
        entries.put("root/cat/1.png", png(4, 3, false));
        entries.put("root/cat/2.png", png(4, 3, false));
        entries.put("root/dog/2.jpg", image(4, 3, true, "jpeg"));
        entries.put("__MACOSX/root/cat/._1.png", new byte[] {1, 2});
        Path z = zip(dir.resolve("imgs.zip"), entries);

        assertThat(DatasetLoader.detect(z)).isEqualTo(DatasetFormat.IMAGE_ZIP);
        Dataset d = DatasetLoader.load(z, LIMITS);
        assertThat(d.size()).isEqualTo(4);
        assertThat(d.sampleShape()).containsExactly(3, 3, 4); // colour wins, CHW
        assertThat(d.labels()).containsExactly(0, 0, 1, 1); // cat, cat, dog, dog
        assertThat(d.classes()).isEqualTo(2);
        // png(...) paints pixel (x, y) with red = x * 60, so channel 0 of the first row is 0, 60, 120, 180 / 255
        int per = d.sampleElements();
        assertThat(d.features()[2 * per]).isEqualTo(0f);
        assertThat(d.features()[2 * per + 1]).isEqualTo(60 / 255f);
    }

    @Test
    void refusesInconsistentImageSizesAndStrayFiles() throws IOException {
        Map<String, byte[]> sizes = new LinkedHashMap<>();
        sizes.put("a/1.png", png(4, 3, false));
        sizes.put("b/1.png", png(5, 3, false));
        Path z = zip(dir.resolve("sizes.zip"), sizes);
        assertThatThrownBy(() -> DatasetLoader.load(z, DatasetFormat.IMAGE_ZIP, LIMITS))
                .hasMessageContaining("one size").hasMessageContaining("4x3").hasMessageContaining("5x3");
        Path stray = zip(dir.resolve("stray.zip"), Map.of("a/readme.txt", "hi".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> DatasetLoader.load(stray, DatasetFormat.IMAGE_ZIP, LIMITS))
                .hasMessageContaining("not a PNG or JPEG");
        Path broken = zip(dir.resolve("broken.zip"), Map.of("a/1.png", new byte[] {(byte) 0x89, 'P', 'N', 'G'}));
        assertThatThrownBy(() -> DatasetLoader.load(broken, DatasetFormat.IMAGE_ZIP, LIMITS))
                .isInstanceOf(DatasetFormatException.class);
    }

    @Test
    void refusesUnknownFormat() throws IOException {
        Path f = Files.write(dir.resolve("blob.bin"), new byte[] {1, 2, 3, (byte) 200, 0, 1});
        assertThatThrownBy(() -> DatasetLoader.detect(f)).hasMessageContaining("no known dataset format");
    }

    @Test
    void refusesAnImageWhoseHeaderDeclaresHugeDimensions() throws IOException {
        byte[] png = png(1, 1, false);
        // IHDR starts at byte 8: length (4), "IHDR" (4), width (4), height (4), ..., then a CRC over type + data
        ByteBuffer b = ByteBuffer.wrap(png);
        b.putInt(16, 100_000).putInt(20, 100_000);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        Path z = zip(dir.resolve("huge.zip"), Map.of("a/1.png", png));
        assertThatThrownBy(() -> DatasetLoader.load(z, DatasetFormat.IMAGE_ZIP, LIMITS))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("100000x100000 pixels");
    }

    private static byte[] png(int w, int h, boolean colour) throws IOException {
        return image(w, h, colour, "png");
    }

    private static byte[] image(int w, int h, boolean colour, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, colour ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = x * 60;
                img.setRGB(x, y, (v << 16) | ((y * 40) << 8) | 10);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }
}
