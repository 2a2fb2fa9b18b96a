package io.caas.engine.eval;

import java.util.Map;
import java.util.Optional;

/** The shapes of a graph's values at batch 1, as {@link ShapeProbe} found them. */
public final class ValueShapes {

    private final Map<String, long[]> shapes;

    ValueShapes(Map<String, long[]> shapes) {
        this.shapes = Map.copyOf(shapes);
    }

    /** The value's shape; empty where it is not known (not asked for, or sized by neither inference nor a run). */
    public Optional<long[]> of(String value) {
        long[] s = shapes.get(value);
        return s == null ? Optional.empty() : Optional.of(s.clone());
    }
}
