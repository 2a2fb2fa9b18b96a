package io.caas.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.testing.Mutations;
import io.caas.engine.testing.TestData;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing of the ONNX reader with real models as seeds: bit flips, byte runs, truncations, splices and
 * varint bombs. Whatever the bytes, reading and inspecting either succeeds or fails with OnnxFormatException:
 * never another exception, never an out-of-memory from a declared size.
 */
class HostileOnnxTest {

    private static final int CASES_PER_SEED = 400;

    @Test
    void mutatedModelsParseOrFailWithAFormatError() throws Exception {
        List<byte[]> seeds = List.of(
                Files.readAllBytes(TestData.openWakeWord("hey_rhasspy_v0.1.onnx")),
                Files.readAllBytes(TestData.paddleCls()));
        SplittableRandom random = new SplittableRandom(20261123);
        List<String> unexpected = new ArrayList<>();
        int parsed = 0;
        int refused = 0;
        for (byte[] seed : seeds) {
            for (int i = 0; i < CASES_PER_SEED; i++) {
                byte[] bytes = Mutations.mutate(seed, random);
                try {
                    ModelProto model = OnnxModels.parse(bytes);
                    ModelInspector.inspect(model);
                    parsed++;
                } catch (OnnxFormatException e) {
                    refused++;
                } catch (Throwable t) {
                    unexpected.add(t.getClass().getName() + ": " + t.getMessage());
                }
            }
        }
        System.out.printf("ONNX fuzz: %d mutated models, %d parsed, %d refused with a format error, %d other%n",
                seeds.size() * CASES_PER_SEED, parsed, refused, unexpected.size());
        assertThat(unexpected).isEmpty();
        assertThat(refused).isPositive();
    }
}
