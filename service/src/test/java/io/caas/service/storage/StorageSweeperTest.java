package io.caas.service.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.config.CaasProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageSweeperTest {

    @TempDir
    Path dataDir;

    @Test
    void removesWhatNoWriterOrRowClaimsKeepsWhatMayStillBeClaimedAndReportsRowsWithoutObjects() throws Exception {
        Instant now = Instant.parse("2026-12-04T12:00:00Z");
        FileSystemArtifactStore store = new FileSystemArtifactStore(dataDir.resolve("artifacts"));
        CaasProperties properties = new CaasProperties(dataDir.toString(), List.of("api"),
                new CaasProperties.Storage("filesystem", dataDir.resolve("artifacts").toString(),
                        Duration.ofMinutes(10), Duration.ofMinutes(10)), null, null, null, null);
        DataDirectory data = new DataDirectory(properties);
        store.put("models/named.onnx", new ByteArrayInputStream(new byte[8]), 100);
        store.put("models/orphan-old.onnx", new ByteArrayInputStream(new byte[8]), 100);
        store.put("models/orphan-young.onnx", new ByteArrayInputStream(new byte[8]), 100);
        Path oldPart = dataDir.resolve("artifacts/models/.x.onnx.1.part");
        Path livePart = dataDir.resolve("artifacts/models/.y.onnx.2.part");
        Path oldSpool = data.uploadTemp().resolve("upload_1.tmp");
        Path liveSpool = data.uploadTemp().resolve("upload_2.tmp");
        for (Path p : List.of(oldPart, livePart, oldSpool, liveSpool)) {
            Files.write(p, new byte[8]);
        }
        age(dataDir.resolve("artifacts/models/orphan-old.onnx"), now.minus(Duration.ofMinutes(11)));
        age(dataDir.resolve("artifacts/models/orphan-young.onnx"), now.minus(Duration.ofMinutes(9)));
        age(dataDir.resolve("artifacts/models/named.onnx"), now.minus(Duration.ofDays(3)));
        age(oldPart, now.minus(Duration.ofSeconds(61)));
        age(livePart, now.minus(Duration.ofSeconds(59)));
        age(oldSpool, now.minus(Duration.ofSeconds(61)));
        age(liveSpool, now.minus(Duration.ofSeconds(59)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        StoredObjectOwner rows = () -> List.of(new ObjectReference("model a", "models/named.onnx"),
                new ObjectReference("model b", "models/gone.onnx"));

        StorageSweeper.Sweep sweep = new StorageSweeper(store, data, List.of(rows), properties, meters,
                Clock.fixed(now, ZoneOffset.UTC)).sweep();

        assertThat(sweep.unfinishedWrites()).isEqualTo(1);
        assertThat(sweep.uploadTemps()).isEqualTo(1);
        assertThat(sweep.orphansRemoved()).containsExactly("models/orphan-old.onnx");
        assertThat(sweep.orphansKept()).containsExactly("models/orphan-young.onnx");
        assertThat(sweep.missing()).containsExactly(new ObjectReference("model b", "models/gone.onnx"));
        assertThat(oldPart).doesNotExist();
        assertThat(oldSpool).doesNotExist();
        assertThat(List.of(livePart, liveSpool, dataDir.resolve("artifacts/models/named.onnx"),
                dataDir.resolve("artifacts/models/orphan-young.onnx"))).allSatisfy(p -> assertThat(p).exists());
        assertThat(meters.get("caas.storage.missing.objects").gauge().value()).isEqualTo(1.0);
    }

    private static void age(Path p, Instant when) throws Exception {
        Files.setLastModifiedTime(p, FileTime.from(when));
    }
}
