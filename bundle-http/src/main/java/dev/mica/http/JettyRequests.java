package dev.mica.http;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.System.Logger.Level;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/** The one place that reaches under the servlet API into Jetty's own request. */
final class JettyRequests {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private JettyRequests() {}

    /**
     * Keeps the connection's idle timeout from failing a request while its handler waits in
     * silence: a model load or a long prompt may take minutes before the first token, and Jetty
     * would otherwise cut the stream at the idle timeout. Reads and writes that stall still time
     * out (Jetty only asks these listeners when no read or write is pending), so a client that
     * stops reading is still dropped.
     */
    static void ignoreIdleTimeoutWhileHandling(HttpServletRequest request) {
        try {
            ServletContextRequest.getServletContextRequest(request).addIdleTimeoutListener(timeout -> false);
        } catch (IllegalStateException e) {
            LOG.log(Level.DEBUG, "not a Jetty request; idle timeout left as is: {0}", e.getMessage());
        }
    }
}
