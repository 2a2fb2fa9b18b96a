package io.caas.service.problem;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The members of a problem+json body, for the places that answer before Spring MVC can (security filters, the
 * container's error page and error valve), so every error has the shape {@link ApiExceptionHandler}'s have.
 */
public final class ProblemBody {

    /**
     * These writers run outside Spring MVC (in Tomcat's valves and the security filters), where the application's
     * ObjectMapper is not at hand; a body of strings and numbers needs none of its settings, so one plain mapper
     * serves them all.
     */
    private static final ObjectMapper PLAIN = new ObjectMapper();

    private ProblemBody() {
    }

    /** Writes a problem body (as {@link #of} makes it, with any further members) as JSON. */
    public static void write(OutputStream out, Map<String, Object> body) throws IOException {
        PLAIN.writeValue(out, body);
    }

    /** @param instance the request's path, or null where it is not known */
    public static Map<String, Object> of(URI type, String title, int status, String detail, String instance) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", type.toString());
        p.put("title", title);
        p.put("status", status);
        p.put("detail", detail);
        if (instance != null) {
            p.put("instance", instance);
        }
        return p;
    }
}
