package io.caas.service.problem;

import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.MediaType;

/**
 * Tomcat's last word on an error the application never saw (a URI it cannot decode, a request it refused
 * before any servlet ran): problem+json in place of Tomcat's HTML page, with no server name or stack.
 */
public class ProblemErrorReportValve extends ErrorReportValve {


    public ProblemErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding("UTF-8");
            ProblemBody.write(response.getOutputStream(), ProblemErrorController.body(status,
                    ProblemErrorController.defaultDetail(status), null));
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the connection is gone or the response was already taken: nothing more to say
        }
    }
}
