package io.caas.engine.compress.ldr;

import java.util.Arrays;
import java.util.Optional;

/** Which structured matrix replaces each square block of a dense weight. */
public enum Structure {

    /** Σᵢ Z₁(gᵢ)·Z₋₁(hᵢ): displacement rank r under the Sylvester operator ∇(M) = Z₁M − MZ₋₁. */
    TOEPLITZ_LIKE("toeplitz-like"),
    /** One circulant matrix Z₁(g): the displacement-rank-1 special case with h = e₁. */
    CIRCULANT("circulant");

    private final String wireName;

    Structure(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    static Optional<Structure> parse(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName.equalsIgnoreCase(name.strip())).findFirst();
    }
}
