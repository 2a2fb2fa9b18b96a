package io.caas.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

@SpringBootApplication
@EnableScheduling
@ConfigurationPropertiesScan
public class CaasApplication {

    public static void main(String[] args) {
        // DJL would otherwise try to download engine files and report telemetry; this product never reaches out.
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        SpringApplication.run(CaasApplication.class, args);
    }
}
