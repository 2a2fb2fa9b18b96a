package io.caas.service.server;

import java.io.IOException;
import java.util.function.LongSupplier;
import org.apache.coyote.InputBuffer;
import org.apache.tomcat.util.net.ApplicationBufferHandler;

/**
 * A request's body as Tomcat reads it from the socket, with the rate it arrives at checked. Only the time spent
 * waiting inside a read counts, not the time the service spends between reads (writing to disk, parsing), so a
 * client is judged on its own pace. Each time a window of waiting has passed, the bytes that came in it must
 * amount to the minimum rate; a client that sends a byte just often enough to beat the connection timeout fails
 * at the end of its first window.
 */
final class RateCheckedInput implements InputBuffer {

    private final InputBuffer delegate;
    private final long minimumBytesPerSecond;
    private final long windowNanos;
    private final LongSupplier nanoClock;
    private long waitedNanos;
    private long bytes;
    private RequestBodyTooSlowException tooSlow;

    RateCheckedInput(InputBuffer delegate, long minimumBytesPerSecond, long windowNanos, LongSupplier nanoClock) {
        this.delegate = delegate;
        this.minimumBytesPerSecond = minimumBytesPerSecond;
        this.windowNanos = windowNanos;
        this.nanoClock = nanoClock;
    }

    @Override
    public int doRead(ApplicationBufferHandler handler) throws IOException {
        if (tooSlow != null) {
            throw tooSlow;
        }
        long start = nanoClock.getAsLong();
        int n = delegate.doRead(handler);
        waitedNanos += nanoClock.getAsLong() - start;
        if (n > 0) {
            bytes += n;
        }
        if (waitedNanos >= windowNanos) {
            double rate = bytes * 1_000_000_000.0 / waitedNanos;
            if (rate < minimumBytesPerSecond) {
                tooSlow = new RequestBodyTooSlowException(Math.round(rate), minimumBytesPerSecond,
                        Math.round(waitedNanos / 1e9));
                throw tooSlow;
            }
            waitedNanos = 0;
            bytes = 0;
        }
        return n;
    }

    @Override
    public int available() {
        return delegate.available();
    }

    /** Why the body was refused for its pace, if it was: what is left of it is not worth waiting for. */
    java.util.Optional<RequestBodyTooSlowException> tooSlow() {
        return java.util.Optional.ofNullable(tooSlow);
    }
}
