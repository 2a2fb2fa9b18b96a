package io.caas.service.storage;

import io.caas.service.config.CaasProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The node's own folder ({@code caas.data-dir}): the embedded database, the generated secrets, the artifacts by
 * default, and the temporary files of uploads being received. It is made private (0700, files 0600) before
 * anything else opens it: the database's data source depends on this bean.
 */
@Component
public class DataDirectory {

    private final Path root;
    private final Path uploadTemp;

    public DataDirectory(CaasProperties properties) {
        this.root = Path.of(properties.dataDir()).toAbsolutePath().normalize();
        try {
            PrivateFiles.createFolders(root);
            PrivateFiles.restrictTree(root);
            this.uploadTemp = PrivateFiles.createFolders(root.resolve("tmp").resolve("uploads"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the data folder " + root, e);
        }
    }

    /**
     * Once more when the node is up: files created since the first pass (the embedded database's, on a first
     * start) get 0600 too; until then the 0700 folder above them already kept everyone else out.
     */
    @EventListener(ApplicationReadyEvent.class)
    void restrictAgain() {
        PrivateFiles.restrictTree(root);
    }

    public Path root() {
        return root;
    }

    /** Where the servlet container spools multipart uploads while it reads them (private, swept at start). */
    public Path uploadTemp() {
        return uploadTemp;
    }

    public Path resolve(String relative) {
        return root.resolve(relative);
    }
}
