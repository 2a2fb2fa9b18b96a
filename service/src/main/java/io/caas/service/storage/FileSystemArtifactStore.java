package io.caas.service.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files under one root folder. Each write goes to a temporary {@code .part} file in the same folder,
 * is forced to the disk and renamed into place, and the folder is forced too, so a crash or a full disk mid-write
 * leaves no partial object behind and an object whose write returned survives a crash. Folders are 0700 and
 * files 0600: only the service's user reads them.
 */
public class FileSystemArtifactStore implements ArtifactStore {

    private static final String PART_SUFFIX = ".part";
    private final Path root;

    public FileSystemArtifactStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            PrivateFiles.createFolders(this.root);
        } catch (IOException e) {
            throw new StorageException("cannot create storage folder " + this.root, e);
        }
    }

    @Override
    public StoredObject put(String key, InputStream content, long maxBytes) {
        Path target = resolve(key);
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + PART_SUFFIX);
        MessageDigest sha = sha256();
        long written = 0;
        try {
            PrivateFiles.createFolders(target.getParent());
            try (FileChannel file = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PrivateFiles.fileAttributes());
                 OutputStream out = new DigestOutputStream(Channels.newOutputStream(file), sha)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = read(content, buf, written)) != -1) {
                    written += n;
                    if (written > maxBytes) {
                        throw new UploadTooLargeException(maxBytes);
                    }
                    out.write(buf, 0, n);
                }
                out.flush();
                file.force(true);
            }
            move(tmp, target);
            PrivateFiles.syncFolder(target.getParent());
            return new StoredObject(key, written, HexFormat.of().formatHex(sha.digest()));
        } catch (IOException e) {
            throw new StorageException("cannot write " + key + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** A failed read is the source's failure (a client gone), told apart from the store's own write failures. */
    private static int read(InputStream content, byte[] buf, long readSoFar) {
        try {
            return content.read(buf);
        } catch (IOException e) {
            throw new UploadBrokenOffException(readSoFar, e);
        }
    }

    @Override
    public StoredObject putFile(String key, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return put(key, in, Long.MAX_VALUE);
        } catch (IOException e) {
            throw new StorageException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (UploadBrokenOffException e) {
            // here the source is the service's own file: its failing is the service's problem
            throw new StorageException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return Files.newInputStream(resolve(key));
        } catch (NoSuchFileException e) {
            throw new StorageException("no object " + key, e);
        } catch (IOException e) {
            throw new StorageException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public LocalCopy localCopy(String key) {
        Path path = resolve(key);
        if (!Files.isRegularFile(path)) {
            throw new StorageException("no object " + key, new NoSuchFileException(path.toString()));
        }
        return new LocalCopy() {
            @Override
            public Path path() {
                return path;
            }

            @Override
            public void close() {
                // the store's own file: nothing to clean up
            }
        };
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(resolve(key));
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(resolve(key));
        } catch (IOException e) {
            throw new StorageException("cannot delete " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<StoredEntry> list() {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().endsWith(PART_SUFFIX))
                    .map(p -> new StoredEntry(root.relativize(p).toString().replace('\\', '/'), modified(p)))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int removeUnfinishedWrites(Instant untouchedSince) {
        try (Stream<Path> all = Files.walk(root)) {
            List<Path> stale = all.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(PART_SUFFIX))
                    .filter(p -> modified(p).isBefore(untouchedSince))
                    .toList();
            stale.forEach(FileSystemArtifactStore::deleteQuietly);
            return stale.size();
        } catch (IOException | UncheckedIOException e) {
            throw new StorageException("cannot sweep " + root + ": " + e.getMessage(), e);
        }
    }

    private static Instant modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keys come from the service (ids), never from users; the check still keeps every key inside the root. */
    private Path resolve(String key) {
        Path path = root.resolve(key).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw new IllegalArgumentException("storage key outside the store: " + key);
        }
        return path;
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover .part file is never listed as an object, and StorageSweeper removes it later
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
