package dev.mica.cli;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the autostart test's {@code bin/mica serve} runs: a server answering /api/version and
 * /api/tags on MICA_HOST's port after a short start-up, which writes its pid to
 * MICA_TEST_PIDFILE and stops by itself after a minute in case the test could not stop it.
 */
public final class StandInServer {
    private StandInServer() {}

    public static void main(String[] args) throws Exception {
        String host = System.getenv("MICA_HOST");
        int port = Integer.parseInt(host.substring(host.lastIndexOf(':') + 1));
        Files.writeString(Path.of(System.getenv("MICA_TEST_PIDFILE")), Long.toString(ProcessHandle.current().pid()));
        Thread.sleep(300); // a real server takes a moment: the client must wait, not fail
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/api/version", ex -> reply(ex, "{\"version\":\"stand-in\"}"));
        server.createContext("/api/tags", ex -> reply(ex, "{\"models\":[{\"name\":\"started:latest\",\"digest\":\"sha256:00\",\"size\":1}]}"));
        server.start();
        System.out.println("stand-in server listening on " + port);
        Thread.sleep(60_000);
        server.stop(0);
    }

    private static void reply(com.sun.net.httpserver.HttpExchange ex, String body) throws java.io.IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }
}
