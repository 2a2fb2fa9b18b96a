package io.caas.engine.compress;

import io.caas.engine.compress.svd.TruncatedSvdMethod;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reading method parameters as they arrive from JSON (numbers, strings, lists), adding a readable problem for each
 * bad value instead of stopping at the first, so a user fixes a request in one go.
 */
public final class ParameterValues {

    private ParameterValues() {
    }

    /** A number, or a string holding one; null otherwise. */
    public static Double number(Object raw) {
        if (raw instanceof Number n) {
            return n.doubleValue();
        }
        if (raw instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** Adds a problem for each key the method does not take, naming those it does. */
    public static void unknownKeys(Map<String, Object> params, Collection<String> known, String method,
                                   List<String> problems) {
        for (String key : params.keySet()) {
            if (!known.contains(key)) {
                problems.add("unknown parameter '" + key + "'; " + method + " takes " + String.join(", ", known));
            }
        }
    }

    /** A number in (0, 1]; NaN (and a problem) otherwise. */
    public static double fraction(Object raw, String name, List<String> problems) {
        Double v = number(raw);
        if (v == null || !(v > 0 && v <= 1)) {
            problems.add(name + " must be a number in (0, 1], got " + raw);
            return Double.NaN;
        }
        return v;
    }

    /** A whole number ≥ 1 (a parameter count, a rank); -1 (and a problem) otherwise. */
    public static long count(Object raw, String name, List<String> problems) {
        Double v = number(raw);
        if (v == null || v < 1 || v != Math.rint(v) || v > Long.MAX_VALUE / 2) {
            problems.add(name + " must be a whole number ≥ 1, got " + raw);
            return -1;
        }
        return v.longValue();
    }

    public static boolean bool(Object raw, String name, boolean fallback, List<String> problems) {
        if (raw == null) {
            return fallback;
        }
        if (raw instanceof Boolean b) {
            return b;
        }
        if (raw instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        problems.add(name + " must be true or false, got " + raw);
        return fallback;
    }

    /**
     * Names given as a list of strings or as one comma-separated string, in order; null (and a problem) for
     * anything else. An empty list is returned as such: what it means differs by parameter.
     */
    public static List<String> nameList(Object raw, String parameter, String kind, List<String> problems) {
        List<String> names = new ArrayList<>();
        if (raw instanceof String s) {
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    names.add(part.strip());
                }
            }
        } else if (raw instanceof Collection<?> c && c.stream().allMatch(String.class::isInstance)) {
            c.forEach(o -> names.add((String) o));
        } else {
            problems.add(parameter + " must be a list of " + kind + " names, got " + raw);
            return null;
        }
        return names;
    }

    /**
     * Layer names given as a list or a comma-separated string; each must be a layer of the model that the low-rank
     * methods can factorize. Empty when not given (meaning: every eligible layer).
     */
    public static Set<String> layerNames(Object raw, ModelSummary model, String method, List<String> problems) {
        if (raw == null) {
            return Set.of();
        }
        List<String> names = nameList(raw, "layers", "layer", problems);
        if (names == null) {
            return Set.of();
        }
        if (names.isEmpty()) {
            problems.add("layers is empty; leave it out for every eligible layer");
        }
        for (String name : names) {
            WeightedLayer layer = model.layers().stream().filter(l -> l.node().equals(name)).findFirst().orElse(null);
            if (layer == null) {
                problems.add("unknown layer '" + name + "'; factorizable layers are "
                        + model.layers().stream().filter(TruncatedSvdMethod::factorizable).map(WeightedLayer::node)
                        .limit(20).toList());
            } else if (!TruncatedSvdMethod.factorizable(layer)) {
                problems.add("layer '" + name + "' cannot be factorized by " + method);
            }
        }
        return new LinkedHashSet<>(names);
    }
}
