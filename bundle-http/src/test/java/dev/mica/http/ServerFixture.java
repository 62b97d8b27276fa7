package dev.mica.http;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** Starts one server on a free loopback port with a {@link ScriptedInference} for a test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServerFixture {
    final ScriptedCache cache = new ScriptedCache();
    ScriptedInference engine;
    MicaHttpServer server;
    Http http;

    HttpSettings settings() {
        return HttpSettings.loopback(0);
    }

    @BeforeAll
    void startServer() {
        engine = new ScriptedInference();
        server = new MicaHttpServer(settings(), engine, () -> List.of(
                new BundleReport(0, "org.apache.felix.framework", "7.0.5", "active", false),
                new BundleReport(7, "dev.mica.broken", "0.1.0", "installed", false),
                new BundleReport(8, "dev.mica.fragment", "0.1.0", "resolved", true)), () -> cache);
        http = new Http(server.start());
    }

    @AfterAll
    void stopServer() {
        server.stop();
    }
}
