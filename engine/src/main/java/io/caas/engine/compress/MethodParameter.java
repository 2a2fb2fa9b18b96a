package io.caas.engine.compress;

/**
 * One documented parameter of a method, as listed by {@code GET /v1/methods}.
 *
 * @param type    "integer", "number", "boolean", "string" or "string[]"
 * @param minimum inclusive lower bound for numbers, null if none
 * @param maximum inclusive upper bound for numbers, null if none
 * @param source  where the default comes from (paper, tool), so users can judge it
 */
public record MethodParameter(String name, String type, Object defaultValue, Number minimum, Number maximum,
                              String description, String source) {
}
