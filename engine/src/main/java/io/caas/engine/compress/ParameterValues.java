package io.caas.engine.compress;

import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.WeightedLayer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

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
    public static void unknownKeys(Map<String, Object> params, List<MethodParameter> known, String method,
                                   List<String> problems) {
        List<String> names = known.stream().map(MethodParameter::name).toList();
        for (String key : params.keySet()) {
            if (!names.contains(key)) {
                problems.add("unknown parameter '" + key + "'; " + method + " takes " + String.join(", ", names));
            }
        }
    }

    /** True or false (or a string holding one), {@code fallback} where none is given; a problem otherwise. */
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

    /** Names quoted for a message, at most this many however many there are. */
    static final int NAMES_QUOTED = 10;

    /**
     * Names given as a list of strings or as one comma-separated string, in order; null (and a problem) for
     * anything else. An empty list is returned as such: what it means differs by parameter. A name given twice is
     * a problem: it is a mistake in a hand-written request, and in a generated one a way to make the check (and
     * the answer listing unknown names) as long as the list.
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
            problems.add(parameter + " must be a list of " + kind + " names, got " + abbreviated(raw));
            return null;
        }
        Set<String> seen = new HashSet<>();
        Set<String> repeated = new LinkedHashSet<>();
        for (String name : names) {
            if (!seen.add(name)) {
                repeated.add(name);
            }
        }
        if (!repeated.isEmpty()) {
            problems.add(parameter + " names " + quoted(repeated) + " more than once; name each " + kind + " once");
        }
        return names;
    }

    /**
     * {@code 'a', 'b'} or, past {@link #NAMES_QUOTED}, {@code 'a', 'b', … and 12345 more}: one problem names a few
     * and counts the rest, so a request listing many bad names gets an answer of bounded size.
     */
    public static String quoted(Collection<String> names) {
        List<String> first = names.stream().limit(NAMES_QUOTED).map(n -> "'" + abbreviated(n) + "'").toList();
        String listed = String.join(", ", first);
        return names.size() > NAMES_QUOTED ? listed + " and " + (names.size() - NAMES_QUOTED) + " more" : listed;
    }

    /** A value as quoted in a problem, cut short: it came from the request and may be any size. */
    private static String abbreviated(Object raw) {
        String s = String.valueOf(raw);
        return s.length() <= 200 ? s : s.substring(0, 200) + "… (" + s.length() + " characters)";
    }

    /**
     * Layer names given as a list or a comma-separated string; each must be a layer of the model that the low-rank
     * methods can factorize. Empty when not given (meaning: every eligible layer).
     */
    public static Set<String> layerNames(Object raw, ModelSummary model, String method, List<String> problems) {
        return layerNames(raw, model, method, LowRankLayers::factorizable, problems);
    }

    /**
     * As {@link #layerNames(Object, ModelSummary, String, List)}, each name a layer {@code eligible} accepts.
     */
    public static Set<String> layerNames(Object raw, ModelSummary model, String method,
                                         Predicate<WeightedLayer> eligible,
                                         List<String> problems) {
        return layerNames(raw, model, method, eligible, false, problems);
    }

    /**
     * As {@link #layerNames(Object, ModelSummary, String, Predicate, List)}; with {@code subgraphs}, for a method that
     * reaches them, the layers inside If/Loop/Scan subgraphs may be named too (by their path).
     */
    public static Set<String> layerNames(Object raw, ModelSummary model, String method,
                                         Predicate<WeightedLayer> eligible, boolean subgraphs,
                                         List<String> problems) {
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
        Map<String, WeightedLayer> byNode = new HashMap<>();
        model.layers().forEach(l -> byNode.putIfAbsent(l.node(), l));
        if (subgraphs) {
            model.subgraphLayers().forEach(l -> byNode.putIfAbsent(l.layer().node(), l.layer()));
        }
        Set<String> unknown = new LinkedHashSet<>();
        Set<String> notFactorizable = new LinkedHashSet<>();
        for (String name : names) {
            WeightedLayer layer = byNode.get(name);
            if (layer == null) {
                unknown.add(name);
            } else if (!eligible.test(layer)) {
                notFactorizable.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            problems.add("unknown layer" + (unknown.size() == 1 ? " " : "s ") + quoted(unknown)
                    + "; factorizable layers are " + model.layers().stream().filter(eligible)
                    .map(WeightedLayer::node).limit(20).toList());
        }
        if (!notFactorizable.isEmpty()) {
            problems.add("layer" + (notFactorizable.size() == 1 ? " " : "s ") + quoted(notFactorizable)
                    + " cannot be factorized by " + method);
        }
        return new LinkedHashSet<>(names);
    }

    /**
     * The paths of the model's layers of a kind inside subgraphs, ten at most, for a message:
     * "(/If[else_branch]/wide/Gemm, …)".
     */
    private static String subgraphLayerNames(List<WeightedLayer> layers) {
        List<String> names = layers.stream().map(WeightedLayer::node).limit(10).toList();
        return "(" + String.join(", ", names) + (layers.size() > names.size() ? ", …" : "") + ")";
    }

    private static List<WeightedLayer> subgraphLayers(ModelSummary model, Predicate<WeightedLayer> kind) {
        return model.subgraphLayers().stream().map(l -> l.layer()).filter(kind).toList();
    }

    /**
     * For a method that rewrites only the main graph's layers, what it leaves inside control flow, to end its refusal
     * with: the layers of the kinds it takes that sit inside If/Loop/Scan subgraphs, and the methods that compress
     * them where they sit; empty where there are none.
     */
    public static String insideSubgraphs(ModelSummary model, String method, Predicate<WeightedLayer> kind) {
        List<WeightedLayer> layers = subgraphLayers(model, kind);
        if (layers.isEmpty()) {
            return "";
        }
        return "; " + method + " does not reach the " + layers.size() + " such layer"
                + (layers.size() == 1 ? "" : "s") + " inside the model's If/Loop/Scan subgraphs "
                + subgraphLayerNames(layers) + ", which svd and oialr compress where they sit";
    }

    /**
     * Why a method that factorizes Gemm, MatMul and Conv layers and recurrent nodes' input weights, in the main graph
     * and inside If/Loop/Scan subgraphs, finds none: said of the model as it is, naming the layers inside its control
     * flow where it has some (of kinds it does not factorize).
     */
    public static String noFactorizableLayer(ModelSummary model, String method) {
        StringBuilder why = new StringBuilder("the model has no layer for " + method + " to factorize (a Gemm, "
                + "MatMul or Conv with a float weight, or the input weights of an LSTM, GRU or RNN)");
        java.util.List<String> controlFlow = java.util.stream.Stream.of("If", "Loop", "Scan")
                .filter(model.operatorCounts()::containsKey).toList();
        if (!controlFlow.isEmpty()) {
            why.append(", in its main graph or inside its ").append(String.join("/", controlFlow)).append(" nodes");
            if (!model.subgraphLayers().isEmpty()) {
                why.append("; the ").append(model.subgraphLayers().size()).append(" layers inside them ")
                        .append(subgraphLayerNames(subgraphLayers(model, l -> true)))
                        .append(" are of kinds it does not factorize");
            }
        }
        return why.toString();
    }
}
