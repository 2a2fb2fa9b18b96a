package io.caas.service.server;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Closes the connection after a refusal instead of reading the rest of the refused body. Tomcat otherwise drains
 * an unread body before the next request on the connection (server.tomcat.max-swallow-size is unlimited so that
 * an oversize upload's client still reads its 413), and it drains at the client's pace: a refused upload that
 * trickles in would hold its request thread exactly as an accepted one does, and a cap on concurrent uploads
 * would free no thread at all.
 */
public final class DiscardUnreadBodyValve extends ValveBase {

    private static final String ATTRIBUTE = DiscardUnreadBodyValve.class.getName();

    public DiscardUnreadBodyValve() {
        super(true);
    }

    /** Asks that this request's unread body be dropped with its connection once the response is sent. */
    public static void mark(HttpServletRequest request) {
        request.setAttribute(ATTRIBUTE, Boolean.TRUE);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (request.getAttribute(ATTRIBUTE) != null) {
            request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
        }
    }
}
