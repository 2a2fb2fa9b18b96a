package io.caas.service.storage;

import io.caas.service.config.CaasProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Cleans up after nodes that died mid-write, at start and then every {@code caas.storage.sweep-interval}:
 * <ul>
 * <li>unfinished writes ({@code .part} files) and spooled multipart uploads untouched for a minute: a live upload
 * keeps writing to its file, and the connection timeout ends one that stalls for longer;</li>
 * <li>complete objects that no row names and that are older than {@code caas.storage.orphan-grace} (a node killed
 * between storing an upload and committing its row); younger ones may be an upload still being inspected on some
 * node, and wait for a later sweep;</li>
 * <li>rows whose object is missing are reported (log and the {@code caas.storage.missing.objects} gauge), never
 * deleted: a missing file may be a volume not mounted yet, and the row is the user's record of what they sent.</li>
 * </ul>
 */
@Component
public class StorageSweeper {

    private static final Logger log = LoggerFactory.getLogger(StorageSweeper.class);

    /** A write or a spooled upload not touched for this long has no writer left. */
    static final Duration UNFINISHED_WRITE_IDLE = Duration.ofMinutes(1);

    private final ArtifactStore store;
    private final DataDirectory dataDirectory;
    private final List<StoredObjectOwner> owners;
    private final Duration orphanGrace;
    private final Clock clock;
    private final AtomicInteger missing = new AtomicInteger();

    public StorageSweeper(ArtifactStore store, DataDirectory dataDirectory, List<StoredObjectOwner> owners,
                          CaasProperties properties, MeterRegistry meters, Clock clock) {
        this.store = store;
        this.dataDirectory = dataDirectory;
        this.owners = owners;
        this.orphanGrace = properties.storage().orphanGrace();
        this.clock = clock;
        meters.gauge("caas.storage.missing.objects", missing);
    }

    /** What one sweep found and did. */
    public record Sweep(int unfinishedWrites, int uploadTemps, List<String> orphansRemoved,
                        List<String> orphansKept, List<ObjectReference> missing) {
    }

    @EventListener(ApplicationReadyEvent.class)
    void atStart() {
        sweep();
    }

    @Scheduled(fixedDelayString = "${caas.storage.sweep-interval}", initialDelayString = "${caas.storage.sweep-interval}")
    public Sweep sweep() {
        Instant now = clock.instant();
        Instant idleSince = now.minus(UNFINISHED_WRITE_IDLE);
        int parts = store.removeUnfinishedWrites(idleSince);
        int temps = removeUploadTemps(idleSince);

        // Objects first, rows second: an upload that lands in between is then named by a row we read.
        List<StoredEntry> objects = store.list();
        List<ObjectReference> references = owners.stream().flatMap(o -> o.references().stream()).toList();
        Set<String> named = new HashSet<>();
        references.forEach(r -> named.add(r.key()));
        Set<String> present = new HashSet<>();
        objects.forEach(o -> present.add(o.key()));

        Instant orphanBefore = now.minus(orphanGrace);
        List<StoredEntry> orphans = objects.stream().filter(o -> !named.contains(o.key())).toList();
        List<String> removed = orphans.stream().filter(o -> o.lastModified().isBefore(orphanBefore))
                .map(StoredEntry::key).toList();
        List<String> kept = orphans.stream().filter(o -> !o.lastModified().isBefore(orphanBefore))
                .map(StoredEntry::key).toList();
        removed.forEach(key -> {
            store.delete(key);
            log.warn("removed {}: no row names it (a node stopped between storing it and recording it)", key);
        });
        List<ObjectReference> lost = references.stream().filter(r -> !present.contains(r.key())).toList();
        lost.forEach(r -> log.warn("{} names {}, which is not in the store", r.owner(), r.key()));
        missing.set(lost.size());
        if (parts + temps + removed.size() > 0 || !kept.isEmpty()) {
            log.info("storage sweep: {} unfinished writes and {} spooled uploads removed, {} orphan objects removed, "
                    + "{} younger than {} kept for now", parts, temps, removed.size(), kept.size(), orphanGrace);
        }
        return new Sweep(parts, temps, removed, kept, lost);
    }

    private int removeUploadTemps(Instant idleSince) {
        Path folder = dataDirectory.uploadTemp();
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> stale = files.filter(Files::isRegularFile).filter(p -> modified(p).isBefore(idleSince)).toList();
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
            return stale.size();
        } catch (IOException | UncheckedIOException e) {
            log.warn("cannot sweep spooled uploads in {}: {}", folder, e.getMessage());
            return 0;
        }
    }

    private static Instant modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
