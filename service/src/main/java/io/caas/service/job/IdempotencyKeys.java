package io.caas.service.job;

import io.caas.service.problem.InvalidRequestException;

/**
 * The {@code Idempotency-Key} header: a client's own label for one submission, kept in a 255-character column
 * and compared exactly, so it is held to visible ASCII (as the IETF draft's examples and every client library
 * use: UUIDs, random tokens) and refused otherwise rather than failing at the database.
 */
final class IdempotencyKeys {

    static final int MAX_LENGTH = 255;

    private IdempotencyKeys() {
    }

    /** The key, or null without one; a key that cannot be kept is refused with the reason. */
    static String check(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > MAX_LENGTH) {
            throw new InvalidRequestException("Idempotency-Key must be 1 to " + MAX_LENGTH + " characters; it is "
                    + key.length());
        }
        if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new InvalidRequestException("Idempotency-Key must be visible ASCII characters (no spaces, no "
                    + "accents); a UUID is a good key");
        }
        return key;
    }
}
