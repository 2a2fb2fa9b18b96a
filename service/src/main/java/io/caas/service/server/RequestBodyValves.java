package io.caas.service.server;

import io.caas.service.config.CaasProperties;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/** What keeps a request body from holding a thread at its client's pace: a minimum rate, and no slow draining. */
@Component
class RequestBodyValves implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    private final CaasProperties.Limits limits;

    RequestBodyValves(CaasProperties properties) {
        this.limits = properties.limits();
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.addContextValves(new DiscardUnreadBodyValve(),
                new MinimumDataRateValve(limits.minRequestBytesPerSecond(), limits.requestRateWindow(),
                        System::nanoTime));
    }
}
