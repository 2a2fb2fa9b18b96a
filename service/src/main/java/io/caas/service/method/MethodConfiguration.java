package io.caas.service.method;

import io.caas.engine.compress.CompressionMethods;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class MethodConfiguration {

    @Bean
    MethodCatalog methodCatalog() {
        return new MethodCatalog(CompressionMethods.all());
    }
}
