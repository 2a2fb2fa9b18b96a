package io.caas.service.web;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The members of a problem+json body, for the places that answer before Spring MVC can (security filters, the
 * container's error page and error valve), so every error has the shape {@link ApiExceptionHandler}'s have.
 */
public final class ProblemBody {

    private ProblemBody() {
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
