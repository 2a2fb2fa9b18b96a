package io.caas.service.storage;

import jakarta.servlet.MultipartConfigElement;
import org.springframework.boot.autoconfigure.web.servlet.MultipartProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Multipart parts spooled to disk go into the private data folder rather than the container's world-readable
 * temporary folder, where a node killed mid-upload would leave them for good; {@link StorageSweeper} removes
 * such leftovers. Everything else comes from {@code spring.servlet.multipart.*}.
 */
@Configuration(proxyBeanMethods = false)
class UploadTempConfiguration {

    @Bean
    MultipartConfigElement multipartConfigElement(MultipartProperties properties, DataDirectory dataDirectory) {
        return new MultipartConfigElement(dataDirectory.uploadTemp().toString(),
                properties.getMaxFileSize().toBytes(), properties.getMaxRequestSize().toBytes(),
                Math.toIntExact(properties.getFileSizeThreshold().toBytes()));
    }
}
