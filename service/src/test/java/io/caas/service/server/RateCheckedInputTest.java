package io.caas.service.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import org.apache.coyote.InputBuffer;
import org.apache.tomcat.util.net.ApplicationBufferHandler;
import org.junit.jupiter.api.Test;

class RateCheckedInputTest {

    private static final long WINDOW = TimeUnit.SECONDS.toNanos(10);
    private static final long MIN_RATE = 1000;

    private long now;

    /** Reads that each take {@code millis} of the client's time and bring {@code bytes}. */
    private final class Client implements InputBuffer {
        private final Deque<long[]> reads = new ArrayDeque<>();

        Client read(long millis, int bytes, int times) {
            for (int i = 0; i < times; i++) {
                reads.add(new long[] {millis, bytes});
            }
            return this;
        }

        @Override
        public int doRead(ApplicationBufferHandler handler) {
            long[] r = reads.remove();
            now += TimeUnit.MILLISECONDS.toNanos(r[0]);
            return (int) r[1];
        }

        @Override
        public int available() {
            return 0;
        }
    }

    private RateCheckedInput checked(Client client) {
        return new RateCheckedInput(client, MIN_RATE, WINDOW, () -> now);
    }

    @Test
    void aBodyAtTheMinimumPaceIsReadToTheEnd() throws Exception {
        RateCheckedInput in = checked(new Client().read(1000, 1000, 60));
        long total = 0;
        for (int i = 0; i < 60; i++) {
            total += in.doRead(null);
        }
        assertThat(total).isEqualTo(60_000);
        assertThat(in.tooSlow()).isEmpty();
    }

    @Test
    void aTrickleIsRefusedAtTheEndOfItsFirstWindowAndEveryReadAfter() throws Exception {
        RateCheckedInput in = checked(new Client().read(0, 4096, 1).read(500, 1, 40));
        in.doRead(null);
        int reads = 1;
        try {
            while (true) {
                in.doRead(null);
                reads++;
            }
        } catch (RequestBodyTooSlowException e) {
            assertThat(e).hasMessageContaining("arrived at 412 bytes/s over 10 s").hasMessageContaining("1000 bytes/s");
        }
        assertThat(reads).as("4 KiB, then 19 bytes; the 20th ends the 10 s window: (4096 + 20) / 10 s").isEqualTo(20);
        assertThat(in.tooSlow()).isPresent();
        assertThatThrownBy(() -> in.doRead(null)).isSameAs(in.tooSlow().get());
    }

    @Test
    void timeTheServiceSpendsBetweenReadsIsNotTheClientsFault() throws Exception {
        RateCheckedInput in = checked(new Client().read(10, 8192, 100));
        for (int i = 0; i < 100; i++) {
            in.doRead(null);
            now += TimeUnit.SECONDS.toNanos(1); // the service busy writing what it read
        }
        assertThat(in.tooSlow()).isEmpty();
    }

    @Test
    void aFastStartBuysNoCreditForALaterTrickle() throws Exception {
        RateCheckedInput in = checked(new Client().read(100, 1_000_000, 50).read(1000, 10, 30));
        for (int i = 0; i < 50; i++) {
            in.doRead(null);
        }
        assertThatThrownBy(() -> {
            for (int i = 0; i < 30; i++) {
                in.doRead(null);
            }
        }).isInstanceOf(RequestBodyTooSlowException.class);
    }
}
