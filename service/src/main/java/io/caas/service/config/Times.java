package io.caas.service.config;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * Timestamps as stored: UTC, microseconds (PostgreSQL's precision, so a value reads back equal), read from the
 * application's {@link Clock} (a bean: tests may set the time).
 */
public final class Times {

    private Times() {
    }

    public static OffsetDateTime now(Clock clock) {
        return OffsetDateTime.now(clock.withZone(ZoneOffset.UTC)).truncatedTo(ChronoUnit.MICROS);
    }
}
