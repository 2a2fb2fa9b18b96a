package io.caas.engine.data;

import static io.caas.engine.data.DataFiles.floats;
import static io.caas.engine.data.DataFiles.gzip;
import static io.caas.engine.data.DataFiles.idx;
import static io.caas.engine.data.DataFiles.longs;
import static io.caas.engine.data.DataFiles.npy;
import static io.caas.engine.data.DataFiles.zip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.onnx.TensorSpec;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of docs/datasets.md, built here in Java as the doc's Python and shell lines build them (same file
 * names, keys, dtypes, layout and sizes) and read by the real loader, so that the doc and the loaders cannot drift
 * apart silently. Each example's defining lines are also required, verbatim, in the doc: changing one side without
 * the other fails here.
 */
class DatasetDocExamplesTest {

    private static final DatasetLimits LIMITS = DatasetLimits.defaults();
    private static final Path DOC = Path.of("../docs/datasets.md");

    /** 100 samples, labels 0..9 in turn: {@code y = np.arange(100) % 10}. */
    private static final int N = 100;

    @TempDir
    Path dir;

    @Test
    void theDocStillShowsTheExamplesThisTestBuilds() throws IOException {
        String doc = Files.readString(DOC);
        assertThat(doc).contains(
                // npz, one input
                "x = rng.random((100, 1, 28, 28), dtype=np.float32)",
                "y = np.arange(100) % 10",
                "np.savez(\"train.npz\", x=x, y=y)",
                // npz, several inputs
                "np.savez(\"two-inputs.npz\",",
                "image=rng.random((100, 1, 28, 28), dtype=np.float32)",
                "meta=rng.random((100, 4), dtype=np.float32)",
                "y=np.arange(100) % 10)",
                // IDX zip
                "images = (np.arange(100 * 28 * 28) % 256).astype(np.uint8).reshape(100, 28, 28)",
                "labels = (np.arange(100) % 10).astype(np.uint8)",
                "write_idx(\"my-images-idx3-ubyte.gz\", images)",
                "write_idx(\"my-labels-idx1-ubyte.gz\", labels)",
                "jar cfM mine.zip my-images-idx3-ubyte.gz my-labels-idx1-ubyte.gz",
                // CSV
                SMALL_CSV,
                // image folders
                "for cls in [\"cat\", \"dog\"]:",
                "for i in range(3):",
                "pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)",
                "Image.fromarray(pixels).save(f\"pets/{cls}/{i}.png\")",
                "jar cfM pets.zip pets");
    }

    @Test
    void npzWithXAndY() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("x.npy", npy("<f4", "100, 1, 28, 28", floats(ramp(N * 784))));
        entries.put("y.npy", npy("<i8", "100,", longs(classes())));
        Path f = zip(dir.resolve("train.npz"), entries);

        assertThat(DatasetLoader.detect(f)).isEqualTo(DatasetFormat.NPZ);
        Dataset d = DatasetLoader.load(f, LIMITS);
        assertThat(d.size()).isEqualTo(N);
        assertThat(d.sampleShape()).containsExactly(1, 28, 28);
        assertThat(d.labelled()).isTrue();
        assertThat(d.labels()).containsExactly(IntStream.range(0, N).map(i -> i % 10).toArray());
        assertThat(d.classes()).isEqualTo(10);
        assertThat(d.multiInput()).isFalse();
        assertThat(d.features()[1]).isEqualTo(1f); // float32 features are kept as they are

        // What the doc says of the model input: [batch, 1, 28, 28] fits, [batch, 784] is refused, saying how
        assertThat(DatasetCompatibility.problems(d, new TensorSpec("x", "float", List.of("N", 1L, 28L, 28L)))).isEmpty();
        assertThat(DatasetCompatibility.problems(d, new TensorSpec("x", "float", List.of("N", 784L))))
                .singleElement().asString()
                .contains("holds samples of shape [1, 28, 28], but model input 'x' takes [N, 784]")
                .contains("reshaping each sample to [784] fixes it");
    }

    @Test
    void npzWithOneArrayPerModelInput() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(); // numpy.savez writes the keys in the order given
        entries.put("image.npy", npy("<f4", "100, 1, 28, 28", floats(new float[N * 784])));
        entries.put("meta.npy", npy("<f4", "100, 4", floats(new float[N * 4])));
        entries.put("y.npy", npy("<i8", "100,", longs(classes())));
        Dataset d = DatasetLoader.load(zip(dir.resolve("two-inputs.npz"), entries), LIMITS);

        assertThat(d.size()).isEqualTo(N);
        assertThat(d.multiInput()).isTrue();
        assertThat(d.inputs()).extracting(DatasetInput::name).containsExactly("image", "meta");
        assertThat(d.inputs().get(0).sampleShape()).containsExactly(1, 28, 28);
        assertThat(d.inputs().get(1).sampleShape()).containsExactly(4);
        assertThat(d.sampleShape()).containsExactly(784 + 4);
        assertThat(d.classes()).isEqualTo(10);
        List<TensorSpec> model = List.of(new TensorSpec("image", "float", List.of("N", 1L, 28L, 28L)),
                new TensorSpec("meta", "float", List.of("N", 4L)));
        assertThat(DatasetCompatibility.problems(d, model)).isEmpty();
        assertThat(DatasetCompatibility.problems(d, List.of(model.get(0))))
                .singleElement().asString().contains("has an array 'meta' but the model has no such input");
    }

    /** Labels are found under either documented name beside either feature name; features alone are unlabelled. */
    @Test
    void npzLabelsAreFoundUnderEitherDocumentedNameBesideAnyFeatureName() throws IOException {
        Dataset xOnly = DatasetLoader.load(zip(dir.resolve("x-only.npz"),
                Map.of("x.npy", npy("<f4", "4, 3", floats(new float[12])))), LIMITS);
        assertThat(xOnly.labelled()).isFalse();
        assertThat(xOnly.classes()).isZero();

        Map<String, byte[]> xLabels = new LinkedHashMap<>();
        xLabels.put("x.npy", npy("<f4", "4, 3", floats(new float[12])));
        xLabels.put("labels.npy", npy("<i8", "4,", longs(0, 1, 2, 1)));
        Dataset xWithLabels = DatasetLoader.load(zip(dir.resolve("x-labels.npz"), xLabels), LIMITS);
        assertThat(xWithLabels.labelled()).isTrue();
        assertThat(xWithLabels.classes()).isEqualTo(3);

        Map<String, byte[]> featuresY = new LinkedHashMap<>();
        featuresY.put("features.npy", npy("<f4", "4, 3", floats(new float[12])));
        featuresY.put("y.npy", npy("<i8", "4,", longs(0, 1, 2, 1)));
        assertThat(DatasetLoader.load(zip(dir.resolve("features-y.npz"), featuresY), LIMITS).labelled()).isTrue();

        // Two arrays under other names: the first is the features, the second the labels
        Map<String, byte[]> other = new LinkedHashMap<>();
        other.put("a.npy", npy("<f4", "4, 3", floats(new float[12])));
        other.put("b.npy", npy("<f8", "4,", DataFiles.longs(
                Double.doubleToLongBits(0), Double.doubleToLongBits(1), Double.doubleToLongBits(2),
                Double.doubleToLongBits(1))));
        Dataset ab = DatasetLoader.load(zip(dir.resolve("ab.npz"), other), LIMITS);
        assertThat(ab.sampleShape()).containsExactly(3);
        assertThat(ab.labels()).containsExactly(0, 1, 2, 1); // float labels are taken when whole numbers
        assertThat(ab.classes()).isEqualTo(3);

        // ... so two model inputs without labels cannot be given: the second array is read as labels
        Map<String, byte[]> tokens = new LinkedHashMap<>();
        tokens.put("input_ids.npy", npy("<i8", "4, 5", longs(new long[20])));
        tokens.put("attention_mask.npy", npy("<i8", "4, 5", longs(new long[20])));
        assertThatThrownBy(() -> DatasetLoader.load(zip(dir.resolve("tokens.npz"), tokens), LIMITS))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("labels 'attention_mask.npy' must be one class index per sample");
    }

    @Test
    void idxZipWithImagesAndLabels() throws IOException {
        byte[] pixels = new byte[N * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i % 256);
        }
        byte[] labelBytes = new byte[N];
        for (int i = 0; i < N; i++) {
            labelBytes[i] = (byte) (i % 10);
        }
        byte[] images = gzip(idx(new int[] {N, 28, 28}, pixels));
        byte[] labels = gzip(idx(new int[] {N}, labelBytes));
        Map<String, byte[]> entries = new LinkedHashMap<>(); // jar cfM keeps the order of its arguments
        entries.put("my-images-idx3-ubyte.gz", images);
        entries.put("my-labels-idx1-ubyte.gz", labels);
        Path z = zip(dir.resolve("mine.zip"), entries);

        assertThat(DatasetLoader.detect(z)).isEqualTo(DatasetFormat.IDX);
        Dataset d = DatasetLoader.load(z, LIMITS);
        assertThat(d.size()).isEqualTo(N);
        assertThat(d.sampleShape()).containsExactly(1, 28, 28); // [N, 28, 28] gains a channel dim
        assertThat(d.labels()).containsExactly(IntStream.range(0, N).map(i -> i % 10).toArray());
        assertThat(d.classes()).isEqualTo(10);
        assertThat(d.features()[1]).isEqualTo(1 / 255f); // unsigned bytes are scaled to [0, 1]
        assertThat(d.features()[255]).isEqualTo(1f);

        // the images file alone: unlabelled (the service refuses it unless labelled=false)
        Dataset alone = DatasetLoader.load(zip(dir.resolve("alone.zip"), Map.of("my-images-idx3-ubyte.gz", images)),
                LIMITS);
        assertThat(alone.labelled()).isFalse();
        assertThat(alone.classes()).isZero();

        // gzip members under any names, and the __MACOSX folder Finder adds: still IDX, the metadata skipped
        Map<String, byte[]> plain = new LinkedHashMap<>();
        plain.put("__MACOSX/._images.gz", new byte[] {0, 5, 22, 7});
        plain.put("images.gz", images);
        plain.put("__MACOSX/._labels.gz", new byte[] {0, 5, 22, 7});
        plain.put("labels.gz", labels);
        Path p = zip(dir.resolve("plain.zip"), plain);
        assertThat(DatasetLoader.detect(p)).isEqualTo(DatasetFormat.IDX);
        Dataset finder = DatasetLoader.load(p, LIMITS);
        assertThat(finder.labelled()).isTrue();
        assertThat(finder.classes()).isEqualTo(10);
    }

    static final String SMALL_CSV = """
            sepal_length,sepal_width,petal_length,petal_width,species
            5.1,3.5,1.4,0.2,0
            7.0,3.2,4.7,1.4,1
            6.3,3.3,6.0,2.5,2
            """;

    @Test
    void csvWithAHeaderAndTheLabelLast() throws IOException {
        Path f = Files.writeString(dir.resolve("small.csv"), SMALL_CSV);

        assertThat(DatasetLoader.detect(f)).isEqualTo(DatasetFormat.CSV);
        Dataset d = DatasetLoader.load(f, LIMITS);
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.sampleShape()).containsExactly(4);
        assertThat(d.labels()).containsExactly(0, 1, 2);
        assertThat(d.classes()).isEqualTo(3);
        assertThat(d.features()).startsWith(5.1f, 3.5f, 1.4f, 0.2f, 7.0f); // columns in file order, as written

        // the same without its header row, gzipped
        String noHeader = SMALL_CSV.substring(SMALL_CSV.indexOf('\n') + 1);
        Path gz = Files.write(dir.resolve("small.csv.gz"), gzip(noHeader.getBytes(StandardCharsets.UTF_8)));
        assertThat(DatasetLoader.load(gz, LIMITS).labels()).containsExactly(0, 1, 2);

        // the label is the last column whatever the header calls it
        Path first = Files.writeString(dir.resolve("first.csv"), "species,a,b\n1,0.5,0.5\n");
        assertThatThrownBy(() -> DatasetLoader.load(first, LIMITS)).hasMessageContaining("label '0.5' is not a class index");

        // a UTF-8 byte-order mark makes the first row look like a header: it is dropped without a word
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = noHeader.getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, withBom, 0, 3);
        System.arraycopy(body, 0, withBom, 3, body.length);
        assertThat(DatasetLoader.load(Files.write(dir.resolve("bom.csv"), withBom), LIMITS).size()).isEqualTo(2);
    }

    @Test
    void imageFolderZipWithAClassPerFolder() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(); // as `jar cfM pets.zip pets` writes it
        entries.put("pets/", new byte[0]);
        for (String cls : List.of("cat", "dog")) {
            entries.put("pets/" + cls + "/", new byte[0]);
            for (int i = 0; i < 3; i++) {
                entries.put("pets/" + cls + "/" + i + ".png", rgbPng(32, 32));
            }
        }
        Path z = zip(dir.resolve("pets.zip"), entries);

        assertThat(DatasetLoader.detect(z)).isEqualTo(DatasetFormat.IMAGE_ZIP);
        Dataset d = DatasetLoader.load(z, LIMITS);
        assertThat(d.size()).isEqualTo(6);
        assertThat(d.sampleShape()).containsExactly(3, 32, 32); // channels, height, width
        assertThat(d.labels()).containsExactly(0, 0, 0, 1, 1, 1); // cat, dog: folders in sorted order
        assertThat(d.classes()).isEqualTo(2);
        // rgbPng paints pixel (x, y) red x * 8, green y * 8, blue 10; values / 255, channel planes one after another
        assertThat(d.features()[1]).isEqualTo(8 / 255f);
        assertThat(d.features()[1024 + 32]).isEqualTo(8 / 255f);
        assertThat(d.features()[2048]).isEqualTo(10 / 255f);

        // the class folders at the top of the zip (zipped from inside pets/) give the same classes
        Map<String, byte[]> top = new LinkedHashMap<>();
        top.put("dog/0.png", rgbPng(32, 32));
        top.put("cat/0.png", rgbPng(32, 32));
        Dataset flat = DatasetLoader.load(zip(dir.resolve("top.zip"), top), LIMITS);
        assertThat(flat.labels()).containsExactly(0, 1);
        assertThat(flat.classes()).isEqualTo(2);

        // nothing is resized: images of another size are refused
        Map<String, byte[]> sizes = new LinkedHashMap<>();
        sizes.put("cat/0.png", rgbPng(32, 32));
        sizes.put("dog/0.png", rgbPng(28, 28));
        assertThatThrownBy(() -> DatasetLoader.load(zip(dir.resolve("sizes.zip"), sizes), LIMITS))
                .hasMessageContaining("images must all have one size");
    }

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 7;
        }
        return v;
    }

    private static long[] classes() {
        return IntStream.range(0, N).mapToLong(i -> i % 10).toArray();
    }

    private static byte[] rgbPng(int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 8) << 16) | ((y * 8) << 8) | 10);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
