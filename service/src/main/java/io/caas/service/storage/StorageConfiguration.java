package io.caas.service.storage;

import io.caas.service.config.CaasProperties;
import java.nio.file.Path;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class StorageConfiguration {

    @Bean
    ArtifactStore artifactStore(CaasProperties properties) {
        return new FileSystemArtifactStore(Path.of(properties.storage().root()));
    }
}
