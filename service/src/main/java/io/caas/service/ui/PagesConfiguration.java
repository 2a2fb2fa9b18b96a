package io.caas.service.ui;

import io.caas.service.config.ApiRole;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The web pages are static files under {@code static/ui/} that call the REST API from the browser; this only gives
 * them short addresses. They live on API nodes, where the API they call is.
 */
@Configuration
@ApiRole
class PagesConfiguration implements WebMvcConfigurer {

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/", "/ui/index.html");
        registry.addRedirectViewController("/ui", "/ui/index.html");
        registry.addRedirectViewController("/ui/", "/ui/index.html");
    }
}
