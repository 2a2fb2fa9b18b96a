package io.caas.service.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void aBurstPassesThenTheNextRequestWaitsForOneToken() {
        TokenBucket bucket = new TokenBucket(60, 3, now::get);
        for (int i = 0; i < 3; i++) {
            assertThat(bucket.take()).as("request %d of the burst", i + 1).isZero();
        }
        long wait = bucket.take();
        // 60 per minute: one token a second
        assertThat(wait).isBetween(TimeUnit.MILLISECONDS.toNanos(999), TimeUnit.SECONDS.toNanos(1));
        assertThat(bucket.take()).as("a refused request takes nothing").isEqualTo(wait);
    }

    @Test
    void tokensComeBackAtTheConfiguredRateAndNoFasterThanTheBurst() {
        TokenBucket bucket = new TokenBucket(120, 2, now::get);
        bucket.take();
        bucket.take();
        assertThat(bucket.take()).isPositive();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500)); // 120 per minute: one token per half second
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isPositive();

        now.addAndGet(TimeUnit.HOURS.toNanos(1)); // a long idle time refills to the burst, not beyond
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isPositive();
    }
}
