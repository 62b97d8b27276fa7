package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/mica serve} as a process, stopped with SIGTERM (what {@link Process#destroy} sends on
 * Linux, and systemd and docker stop send): it exits 0 as {@code ollama serve} does, frees its port,
 * says it shut down, and leaves no Felix cache behind. Twice, because the log line used to go
 * missing in about half the runs.
 */
class ServeShutdownTest {
    @TempDir Path work;

    @Test
    void sigtermStopsTheServerCleanly() throws Exception {
        for (int run = 1; run <= 2; run++) {
            serveAndTerminate(work.resolve("run" + run));
        }
    }

    private void serveAndTerminate(Path dir) throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path log = dir.resolve("server.log");
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(Kernels.DIST.resolve("bin/mica").toString(), "serve");
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("MICA_"));
        env.put("MICA_HOST", "127.0.0.1:" + port);
        env.put("MICA_MODELS", dir.resolve("models").toString());
        env.put("MICA_DEPLOY", dir.resolve("deploy").toString());
        env.put("HOME", dir.resolve("home").toString());
        // The Felix cache is a temp folder: one of our own shows whether it is removed.
        env.put("MICA_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        env.put("JAVA_HOME", System.getProperty("java.home"));
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process server = pb.start();
        try {
            awaitVersion(server, URI.create("http://127.0.0.1:" + port + "/api/version"), log);
            server.destroy();
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
            String output = Files.readString(log);
            assertEquals(0, server.exitValue(), output);
            assertTrue(output.contains("mica.kernel: shutting down"), output);
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
            try (Stream<Path> left = Files.list(tmp)) {
                List<String> felix = left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("mica-osgi-")).toList();
                assertEquals(List.of(), felix, "Felix cache left behind");
            }
        } finally {
            if (server.isAlive()) {
                server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The server is up once it answers; the deadline is only for a server that never does. */
    private static void awaitVersion(Process server, URI version, Path log) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            if (!server.isAlive()) throw new AssertionError("server exited with " + server.exitValue() + ":\n" + Files.readString(log));
            if (System.nanoTime() > deadline) throw new AssertionError("no answer from " + version + ":\n" + Files.readString(log));
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(version).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
    }
}
