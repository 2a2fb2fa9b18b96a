package io.caas.service.security;

import io.caas.service.config.CaasProperties;
import io.caas.service.problem.ProblemTypes;
import io.caas.service.tenant.Tenants;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Who may call what. Tenants' keys reach the /v1 API (and only their own resources there: the services filter
 * by tenant and answer 404 for the rest); the admin token reaches /v1/admin and the actuator; the metrics token
 * reaches the Prometheus scrape alone. Health probes, the pages, and the API description stay open. Stateless:
 * no sessions, no cookies, hence no CSRF tokens.
 */
@Configuration
class SecurityConfiguration {

    @Bean
    SecurityFilterChain api(HttpSecurity http, ServiceTokens serviceTokens, Tenants tenants,
                            CaasProperties properties, MeterRegistry registry) throws Exception {
        CaasProperties.Limits limits = properties.limits();
        BearerTokenFilter bearer = new BearerTokenFilter(serviceTokens, tenants,
                new AuthFailureThrottle(limits.authFailuresPerMinute(), limits.authFailureBurst(), System::nanoTime));
        RateLimitFilter rateLimit = new RateLimitFilter(limits.requestsPerMinute(), limits.requestBurst(),
                System::nanoTime);
        // After the access rules, so a body is never read for a request they refuse.
        UploadConcurrencyFilter uploads = new UploadConcurrencyFilter(limits.maxUploadsPerKey(), limits.maxUploads(),
                registry);
        JsonBodyLimitFilter jsonLimit = new JsonBodyLimitFilter(limits.maxJsonBytes());
        return http
                .csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .headers(BrowserHeaders.onEveryResponse())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterBefore(bearer, AnonymousAuthenticationFilter.class)
                .addFilterAfter(rateLimit, BearerTokenFilter.class)
                .addFilterAfter(uploads, AuthorizationFilter.class)
                .addFilterAfter(jsonLimit, UploadConcurrencyFilter.class)
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((request, response, ex) -> BearerTokenFilter.refuse(request, response,
                                "this endpoint needs 'Authorization: Bearer <API key>'"))
                        .accessDeniedHandler((request, response, ex) -> ProblemResponses.write(request, response,
                                HttpStatus.FORBIDDEN, ProblemTypes.FORBIDDEN, "Forbidden",
                                "this credential may not use this endpoint")))
                .authorizeHttpRequests(a -> a
                        // The asynchronous end of a server-sent event stream, and error rendering, were already
                        // authorised when the request came in.
                        .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers("/actuator/prometheus").hasAnyRole(Roles.METRICS, Roles.ADMIN)
                        .requestMatchers("/actuator/**").hasRole(Roles.ADMIN)
                        .requestMatchers("/v1/admin/**").hasRole(Roles.ADMIN)
                        .requestMatchers("/v1/**").hasRole(Roles.TENANT)
                        .anyRequest().permitAll())
                .build();
    }

    /**
     * Spring Security's firewall refuses URLs that could be read two ways (encoded slashes, "..", ";", "//");
     * the client is told which in the service's problem format instead of a bare 400.
     */
    @Bean
    RequestRejectedHandler requestRejectedAsProblem() {
        return (request, response, ex) -> ProblemResponses.write(request, response, HttpStatus.BAD_REQUEST,
                ProblemTypes.BAD_REQUEST, "Bad request", ex.getMessage());
    }

    /** Keeps Spring Boot from creating its default user with a generated password: there are no passwords here. */
    @Bean
    UserDetailsService noUsers() {
        return new InMemoryUserDetailsManager();
    }
}
