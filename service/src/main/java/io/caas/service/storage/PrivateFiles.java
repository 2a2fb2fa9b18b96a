package io.caas.service.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files only the service's own user may read: every folder 0700 and every file 0600. Java cannot set the process
 * umask, so each file and folder the service creates is created with these modes, and what an older version or
 * another tool left behind is tightened at start. Also the two fsyncs that make a write survive a crash: the
 * file's data, and the folder entry that names it.
 */
public final class PrivateFiles {

    private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);

    static final Set<PosixFilePermission> FOLDER_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {
    }

    /** Creates {@code folder} and any missing parents with mode 0700, and tightens {@code folder} itself. */
    public static Path createFolders(Path folder) throws IOException {
        if (POSIX) {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(FOLDER_MODE));
            Files.setPosixFilePermissions(folder, FOLDER_MODE);
        } else {
            Files.createDirectories(folder);
        }
        return folder;
    }

    /** Attributes for a new file readable by its owner alone (none where the file system has no POSIX modes). */
    public static FileAttribute<?>[] fileAttributes() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)}
                : new FileAttribute<?>[0];
    }

    /**
     * Sets every folder under {@code root} (itself included) to 0700 and every file to 0600. A file that cannot be
     * changed (another owner) is reported, not fatal: the folder modes above it already keep others out.
     */
    public static void restrictTree(Path root) {
        if (!POSIX || !Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.forEach(p -> {
                try {
                    if (Files.isSymbolicLink(p)) {
                        return; // its target is not ours to change
                    }
                    Files.setPosixFilePermissions(p, Files.isDirectory(p) ? FOLDER_MODE : FILE_MODE);
                } catch (IOException | UncheckedIOException e) {
                    log.warn("cannot restrict {} to its owner: {}", p, e.getMessage());
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("cannot walk {} to restrict its modes: {}", root, e.getMessage());
        }
    }

    /** Forces the folder entry of a file just created or renamed in {@code folder} to the disk. */
    public static void syncFolder(Path folder) throws IOException {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a folder for reading; their renames are then as durable as they get.
            if (Files.isDirectory(folder)) {
                log.debug("cannot fsync folder {}: {}", folder, e.getMessage());
                return;
            }
            throw e;
        }
    }
}
