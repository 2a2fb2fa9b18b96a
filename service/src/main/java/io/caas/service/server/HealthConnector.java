package io.caas.service.server;

import io.caas.service.config.CaasProperties;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * A second HTTP connector, with its own two threads, that answers the health probes and nothing else. Probes on
 * the main port wait for a request thread like any request, so a flood of slow requests there (uploads
 * trickling in, say) fails liveness and gets a healthy process restarted; here they never queue behind the API.
 * The health endpoints stay on the main port as well.
 *
 * <p>Spring Boot's own split (management.server.port) would move every actuator endpoint, the metrics scrape
 * included, to the other port; this moves nothing and adds one port, bound to the loopback address by default
 * so that it opens nothing to the network (a container's HEALTHCHECK runs inside it; an orchestrator that
 * probes from outside sets caas.health.address).
 */
@Component
public class HealthConnector implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    /** Liveness and readiness only; two, so a slow readiness check (the database) does not hold up liveness. */
    private static final int THREADS = 2;
    private static final int CONNECTION_TIMEOUT_MILLIS = 5_000;

    private final int port;
    private final String address;
    private volatile Connector connector;

    HealthConnector(CaasProperties properties) {
        this.port = properties.health().port();
        this.address = properties.health().address();
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        if (port < 0) {
            return;
        }
        Connector c = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
        c.setPort(port);
        AbstractHttp11Protocol<?> protocol = (AbstractHttp11Protocol<?>) c.getProtocolHandler();
        try {
            protocol.setAddress(InetAddress.getByName(address));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("caas.health.address: unknown host " + address, e);
        }
        protocol.setMaxThreads(THREADS);
        protocol.setMinSpareThreads(1);
        protocol.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        factory.addAdditionalTomcatConnectors(c);
        this.connector = c;
    }

    /** The port the health connector listens on once started (the chosen one when configured as 0); -1 if off. */
    public int localPort() {
        Connector c = connector;
        return c == null ? -1 : c.getLocalPort();
    }
}
