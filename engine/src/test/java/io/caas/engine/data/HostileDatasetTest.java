package io.caas.engine.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.testing.Mutations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of the dataset loaders: npz, IDX-in-zip and CSV seeds, mutated the same ways as the ONNX
 * fuzz. Every outcome is a dataset or a DatasetFormatException.
 */
class HostileDatasetTest {

    @TempDir
    Path dir;

    @Test
    void mutatedArchivesLoadOrFailWithAFormatError() throws Exception {
        byte[] pixels = new byte[20 * 4 * 4];
        new SplittableRandom(1).nextBytes(pixels);
        byte[] labels = new byte[20];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) (i % 3);
        }
        Map<String, byte[]> idx = new LinkedHashMap<>();
        idx.put("train-images-idx3-ubyte", DataFiles.idx(new int[] {20, 4, 4}, pixels));
        idx.put("train-labels-idx1-ubyte", DataFiles.idx(new int[] {20}, labels));
        Map<String, byte[]> npz = new LinkedHashMap<>();
        npz.put("x.npy", DataFiles.npy("<f4", "(3, 2)", DataFiles.floats(1, 2, 3, 4, 5, 6)));
        npz.put("y.npy", DataFiles.npy("<i8", "(3,)", DataFiles.longs(0, 1, 0)));
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("seed.zip", Files.readAllBytes(DataFiles.zip(dir.resolve("idx.zip"), idx)));
        seeds.put("seed.npz", Files.readAllBytes(DataFiles.zip(dir.resolve("data.npz"), npz)));
        seeds.put("seed.csv", "a,b,label\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,2\n".getBytes());

        SplittableRandom random = new SplittableRandom(42);
        List<String> unexpected = new ArrayList<>();
        int loaded = 0;
        int refused = 0;
        for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
            for (int i = 0; i < 300; i++) {
                Path file = dir.resolve(i + "-" + seed.getKey());
                Files.write(file, Mutations.mutate(seed.getValue(), random));
                try {
                    DatasetLoader.load(file, DatasetLimits.defaults().withMaxTensorBytes(1 << 20));
                    loaded++;
                } catch (DatasetFormatException e) {
                    refused++;
                } catch (Throwable t) {
                    unexpected.add(seed.getKey() + " " + t.getClass().getName() + ": " + t.getMessage());
                } finally {
                    Files.delete(file);
                }
            }
        }
        System.out.printf("dataset fuzz: %d mutated files, %d loaded, %d refused with a format error, %d other%n",
                seeds.size() * 300, loaded, refused, unexpected.size());
        assertThat(unexpected).isEmpty();
        assertThat(refused).isPositive();
    }
}
