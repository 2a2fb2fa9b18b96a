package io.caas.engine.compress;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One parameter of a method, defined once: what {@code GET /v1/methods} and the OpenAPI document list (type, default,
 * range, choices) is what the method's parser reads through {@code read…}, so a user is never told one thing and
 * refused for another.
 *
 * @param minimum          lower bound for numbers, null if none
 * @param maximum          upper bound for numbers, null if none
 * @param exclusiveMinimum the minimum itself is refused (a fraction in (0, 1])
 * @param exclusiveMaximum the maximum itself is refused
 * @param choices          the values a string parameter takes, empty for any
 * @param source           where the default comes from (paper, tool), so users can judge it
 */
public record MethodParameter(String name, Type type, Object defaultValue, Number minimum, Number maximum,
                              boolean exclusiveMinimum, boolean exclusiveMaximum, List<String> choices,
                              String description, String source) {

    /** The JSON type a parameter takes, by its name in the OpenAPI document ({@link #wireName()}). */
    public enum Type {
        INTEGER("integer"), NUMBER("number"), BOOLEAN("boolean"), STRING("string"), STRING_LIST("string[]"),
        OBJECT("object");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    public MethodParameter {
        Objects.requireNonNull(name);
        Objects.requireNonNull(type);
        choices = List.copyOf(choices);
        if (type == Type.INTEGER && minimum == null) {
            throw new IllegalArgumentException(name + ": an integer parameter needs a minimum");
        }
    }

    /** A whole number in [minimum, maximum] (maximum null for none); its default null where it has none. */
    public static MethodParameter integer(String name, Long defaultValue, long minimum, Long maximum,
                                          String description, String source) {
        return new MethodParameter(name, Type.INTEGER, defaultValue, minimum, maximum, false, false, List.of(),
                description, source);
    }

    /** A number in [minimum, maximum]; {@link #aboveMinimum()} and {@link #belowMaximum()} make a bound exclusive. */
    public static MethodParameter number(String name, Double defaultValue, Double minimum, Double maximum,
                                         String description, String source) {
        return new MethodParameter(name, Type.NUMBER, defaultValue, minimum, maximum, false, false, List.of(),
                description, source);
    }

    /** A number in (0, 1]: a share, an energy, a top-1 drop. */
    public static MethodParameter fraction(String name, Double defaultValue, String description, String source) {
        return number(name, defaultValue, 0.0, 1.0, description, source).aboveMinimum();
    }

    public static MethodParameter bool(String name, boolean defaultValue, String description, String source) {
        return new MethodParameter(name, Type.BOOLEAN, defaultValue, null, null, false, false, List.of(),
                description, source);
    }

    /** One of {@code choices}, matched without regard to case. */
    public static MethodParameter choice(String name, String defaultValue, List<String> choices, String description,
                                         String source) {
        if (defaultValue != null && !choices.contains(defaultValue)) {
            throw new IllegalArgumentException(name + "'s default " + defaultValue + " is not one of " + choices);
        }
        return new MethodParameter(name, Type.STRING, defaultValue, null, null, false, false, choices, description,
                source);
    }

    /** Names, as a list of strings or one comma-separated string; the method checks them against the model. */
    public static MethodParameter names(String name, String description) {
        return new MethodParameter(name, Type.STRING_LIST, null, null, null, false, false, List.of(), description,
                null);
    }

    /** A JSON object the method reads itself. */
    public static MethodParameter object(String name, String description) {
        return new MethodParameter(name, Type.OBJECT, null, null, null, false, false, List.of(), description, null);
    }

    /** This parameter with its minimum itself refused. */
    public MethodParameter aboveMinimum() {
        return new MethodParameter(name, type, defaultValue, minimum, maximum, true, exclusiveMaximum, choices,
                description, source);
    }

    /** This parameter with its maximum itself refused. */
    public MethodParameter belowMaximum() {
        return new MethodParameter(name, type, defaultValue, minimum, maximum, exclusiveMinimum, true, choices,
                description, source);
    }

    /** Whether a request gives this parameter (a JSON null is as good as left out). */
    public boolean given(Map<String, Object> params) {
        return params.get(name) != null;
    }

    /** The value a request gives, as it came. */
    public Object raw(Map<String, Object> params) {
        return params.get(name);
    }

    /** The request's true or false, else the default; a problem for anything else. */
    public boolean readBoolean(Map<String, Object> params, List<String> problems) {
        expect(Type.BOOLEAN);
        return ParameterValues.bool(params.get(name), name, Boolean.TRUE.equals(defaultValue), problems);
    }

    /** The request's number in range, else the default (NaN where there is none); NaN and a problem if out of it. */
    public double readNumber(Map<String, Object> params, List<String> problems) {
        expect(Type.NUMBER);
        Object raw = params.get(name);
        if (raw == null) {
            return defaultValue == null ? Double.NaN : ((Number) defaultValue).doubleValue();
        }
        Double v = ParameterValues.number(raw);
        if (v == null || !inRange(v)) {
            problems.add(name + " must be a number " + range() + ", got " + raw);
            return Double.NaN;
        }
        return v;
    }

    /**
     * The request's whole number in range, else the default ({@code absent} where there is none); the default (or
     * {@code absent}) and a problem if out of it. {@code ceiling} bounds a parameter without a maximum of its own by
     * what the caller's type holds.
     */
    private long readWhole(Map<String, Object> params, List<String> problems, long absent, long ceiling) {
        expect(Type.INTEGER);
        Object raw = params.get(name);
        long fallback = defaultValue == null ? absent : ((Number) defaultValue).longValue();
        if (raw == null) {
            return fallback;
        }
        Double v = ParameterValues.number(raw);
        long lowest = minimum.longValue();
        long highest = maximum == null ? ceiling : Math.min(maximum.longValue(), ceiling);
        if (v == null || v != Math.rint(v) || v < lowest || v > highest) {
            boolean tooLarge = v != null && v > highest;
            problems.add(name + " must be an integer " + (maximum != null || tooLarge
                    ? "in [" + lowest + ", " + highest + "]" : "≥ " + lowest) + ", got " + raw);
            return fallback;
        }
        return v.longValue();
    }

    /** {@link #readWhole} for counts that may pass 2³¹ (parameter budgets); -1 where none is given nor defaulted. */
    public long readLong(Map<String, Object> params, List<String> problems) {
        return readWhole(params, problems, -1, Long.MAX_VALUE / 2);
    }

    /** {@link #readWhole} for ranks, steps and sample counts; -1 where none is given nor defaulted. */
    public int readInt(Map<String, Object> params, List<String> problems) {
        return (int) readWhole(params, problems, -1, Integer.MAX_VALUE);
    }

    /**
     * The request's choice as this parameter lists it, else the default; the default and a problem for a value
     * that is none of them.
     */
    public String readChoice(Map<String, Object> params, List<String> problems) {
        expect(Type.STRING);
        Object raw = params.get(name);
        if (raw == null) {
            return (String) defaultValue;
        }
        if (raw instanceof String s) {
            String wanted = s.strip().toLowerCase(Locale.ROOT);
            for (String choice : choices) {
                if (choice.toLowerCase(Locale.ROOT).equals(wanted)) {
                    return choice;
                }
            }
        }
        problems.add(name + " must be one of " + choices + ", got " + raw);
        return (String) defaultValue;
    }

    private boolean inRange(double v) {
        boolean above = minimum == null || (exclusiveMinimum ? v > minimum.doubleValue() : v >= minimum.doubleValue());
        boolean below = maximum == null || (exclusiveMaximum ? v < maximum.doubleValue() : v <= maximum.doubleValue());
        return above && below && Double.isFinite(v);
    }

    /** "in (0, 1]", "≥ 0", "≤ 5", "" as the bounds are. */
    private String range() {
        if (minimum != null && maximum != null) {
            return "in " + (exclusiveMinimum ? "(" : "[") + plain(minimum) + ", " + plain(maximum)
                    + (exclusiveMaximum ? ")" : "]");
        }
        if (minimum != null) {
            return (exclusiveMinimum ? "> " : "≥ ") + plain(minimum);
        }
        if (maximum != null) {
            return (exclusiveMaximum ? "< " : "≤ ") + plain(maximum);
        }
        return "";
    }

    /** 1.0 as 1, 0.5 as 0.5. */
    private static String plain(Number n) {
        double d = n.doubleValue();
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private void expect(Type wanted) {
        if (type != wanted) {
            throw new IllegalStateException(name + " is a " + type.wireName() + " parameter, not " + wanted.wireName());
        }
    }
}
