package io.caas.service.security;

import org.springframework.security.config.Customizer;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.HeadersConfigurer;
import org.springframework.security.web.header.HeaderWriterFilter;
import org.springframework.security.web.header.writers.DelegatingRequestMatcherHeaderWriter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;
import org.springframework.security.web.header.writers.StaticHeadersWriter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * What a browser may do with a response, on every response. The pages keep the API key in localStorage, where any
 * script running on the page can read it; the policy lets only the service's own files run (no inline script or
 * style, no eval, nothing from elsewhere) and sends no Referer that could carry a page's ids away.
 */
final class BrowserHeaders {

    /** For the pages and everything else: their scripts, styles and Chart.js (a WebJar) are all same-origin files. */
    static final String POLICY = "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            + "frame-ancestors 'none'";
    /**
     * Swagger UI's bundle adds a {@code <style>} element at run time and its stylesheet draws icons from data: URIs,
     * so its pages (and only they) allow inline styles and data: images. Script stays as strict as on the pages:
     * inline styles cannot run code, and no page under /swagger-ui/ reads the API key.
     */
    static final String SWAGGER_UI_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private static final RequestMatcher SWAGGER_UI = PathPatternRequestMatcher.withDefaults().matcher("/swagger-ui/**");

    private BrowserHeaders() {
    }

    static Customizer<HeadersConfigurer<HttpSecurity>> onEveryResponse() {
        return headers -> {
            // Written when the request comes in, on its own thread. Spring Security's default writes them when the
            // response is committed, which for an event stream is the first send, from the stream scheduler's
            // thread while the request's thread may still touch the headers: Tomcat's header list was seen
            // corrupted (NullPointerException in MimeHeaders) and the stream's connection dropped.
            headers.addObjectPostProcessor(new ObjectPostProcessor<HeaderWriterFilter>() {
                @Override
                public <O extends HeaderWriterFilter> O postProcess(O filter) {
                    filter.setShouldWriteHeadersEagerly(true);
                    return filter;
                }
            });
            headers.contentTypeOptions(Customizer.withDefaults())
                    .referrerPolicy(r -> r.policy(ReferrerPolicy.NO_REFERRER))
                    .addHeaderWriter(policy(SWAGGER_UI, SWAGGER_UI_POLICY))
                    .addHeaderWriter(policy(new NegatedRequestMatcher(SWAGGER_UI), POLICY));
        };
    }

    private static DelegatingRequestMatcherHeaderWriter policy(RequestMatcher where, String policy) {
        return new DelegatingRequestMatcherHeaderWriter(where, new StaticHeadersWriter("Content-Security-Policy", policy));
    }
}
