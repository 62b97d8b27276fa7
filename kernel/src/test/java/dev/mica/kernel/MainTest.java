package dev.mica.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code mica serve} on a taken address stops with ollama's message instead of running without its front end. */
class MainTest {
    @Test
    void aTakenAddressIsReportedAndAFreeOneIsNot() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertEquals("127.0.0.1:" + port, Main.addressInUse("127.0.0.1:" + port));
            taken.close();
            assertNull(Main.addressInUse("127.0.0.1:" + port), "free once closed");
        }
        assertNull(Main.addressInUse("127.0.0.1:0"), "port 0 picks a free one");
        assertNull(Main.addressInUse("nonsense"), "the front end reports what it cannot parse");
    }
}
