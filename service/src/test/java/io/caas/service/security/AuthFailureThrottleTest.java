package io.caas.service.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-address count of invalid tokens, on a clock the test moves. */
class AuthFailureThrottleTest {

    private static final long SECOND = 1_000_000_000L;
    private static final String GUESS = "caas_guess";

    private final AtomicLong now = new AtomicLong();
    private final AuthFailureThrottle throttle = new AuthFailureThrottle(60, 3, now::get);

    @Test
    void anAddressIsHeldBackAfterItsBurstOfFailuresUntilItsBucketRefills() {
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.waitNanos("10.0.0.1", GUESS)).isZero();
            throttle.failed("10.0.0.1", GUESS);
        }
        assertThat(throttle.waitNanos("10.0.0.1", GUESS)).isEqualTo(SECOND); // 60 a minute: one a second
        assertThat(throttle.waitNanos("10.0.0.2", GUESS)).as("other addresses").isZero();

        now.addAndGet(SECOND);
        assertThat(throttle.waitNanos("10.0.0.1", GUESS)).isZero();
        throttle.failed("10.0.0.1", GUESS);
        assertThat(throttle.waitNanos("10.0.0.1", GUESS)).isPositive();
    }

    @Test
    void anAddressWhoseBucketHasRefilledIsForgotten() {
        throttle.failed("10.0.0.1", GUESS);
        assertThat(throttle.addresses()).isEqualTo(1);
        now.addAndGet(SECOND);
        assertThat(throttle.waitNanos("10.0.0.1", GUESS)).isZero();
        assertThat(throttle.addresses()).isZero();
    }

    @Test
    void theMapOfAddressesIsBoundedWhateverTheNumberOfAddressesFailing() {
        for (int i = 0; i < AuthFailureThrottle.MAX_ADDRESSES + 5_000; i++) {
            throttle.failed("addr-" + i, GUESS);
        }
        assertThat(throttle.addresses()).isEqualTo(AuthFailureThrottle.MAX_ADDRESSES);
        assertThat(throttle.waitNanos("addr-0", GUESS)).as("the least recent, dropped").isZero();
        String recent = "addr-" + (AuthFailureThrottle.MAX_ADDRESSES + 4_999);
        for (int i = 0; i < 3; i++) {
            throttle.failed(recent, GUESS);
        }
        assertThat(throttle.waitNanos(recent, GUESS)).as("a recent one, kept").isPositive();
    }

    @Test
    void aZeroRateTurnsItOff() {
        AuthFailureThrottle off = new AuthFailureThrottle(0, 3, now::get);
        for (int i = 0; i < 10; i++) {
            off.failed("10.0.0.1", GUESS);
        }
        assertThat(off.waitNanos("10.0.0.1", GUESS)).isZero();
        assertThat(off.addresses()).isZero();
    }

    @Test
    void aKeyThatWasValidPassesAThrottledAddressUntilItFails() {
        String known = "caas_known-good-key";
        throttle.succeeded(known);
        for (int i = 0; i < 3; i++) {
            throttle.failed("10.0.0.1", GUESS);
        }
        assertThat(throttle.waitNanos("10.0.0.1", GUESS)).as("a guess").isPositive();
        assertThat(throttle.waitNanos("10.0.0.1", "caas_never-seen")).as("a key never seen valid").isPositive();
        assertThat(throttle.waitNanos("10.0.0.1", known)).as("a key seen valid").isZero();

        throttle.failed("10.0.0.1", known); // revoked meanwhile: refused by the lookup, and no longer vouched for
        assertThat(throttle.waitNanos("10.0.0.1", known)).isPositive();
    }
}
