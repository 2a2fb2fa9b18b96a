package io.caas.engine.testing;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Byte-level mutations for fuzzing parsers with real files as seeds. */
public final class Mutations {

    private Mutations() {
    }

    /** One of: bit flips, a run of random bytes, a truncation, a splice of the seed onto itself, a maximal varint. */
    public static byte[] mutate(byte[] seed, SplittableRandom r) {
        byte[] b = seed.clone();
        switch (r.nextInt(5)) {
            case 0 -> { // bit flips
                for (int k = 0, n = 1 + r.nextInt(16); k < n; k++) {
                    int at = r.nextInt(b.length);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> { // a run of random bytes
                int at = r.nextInt(b.length);
                for (int k = at, end = Math.min(b.length, at + 1 + r.nextInt(64)); k < end; k++) {
                    b[k] = (byte) r.nextInt(256);
                }
            }
            case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncation
            case 3 -> { // splice: a chunk of the model copied over another place
                int from = r.nextInt(b.length);
                int to = r.nextInt(b.length);
                int len = Math.min(r.nextInt(256), Math.min(b.length - from, b.length - to));
                System.arraycopy(seed, from, b, to, len);
            }
            default -> { // a maximal varint where a length or dimension may stand
                int at = r.nextInt(Math.max(1, b.length - 10));
                for (int k = 0; k < 9; k++) {
                    b[at + k] = (byte) 0xff;
                }
                b[at + 9] = 0x01;
            }
        }
        return b;
    }
}
