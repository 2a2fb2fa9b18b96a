package io.caas.engine.runtime;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/** Numbers the value names of a graph in the order they are first seen; the empty name (an omitted value) is -1. */
final class ValueSlots {

    private final Map<String, Integer> slots = new HashMap<>();

    int[] of(Collection<String> names) {
        int[] out = new int[names.size()];
        int i = 0;
        for (String name : names) {
            out[i++] = name.isEmpty() ? -1 : slots.computeIfAbsent(name, n -> slots.size());
        }
        return out;
    }

    /** The slot of a name already numbered, or -1. */
    int find(String name) {
        return slots.getOrDefault(name, -1);
    }

    int size() {
        return slots.size();
    }
}
