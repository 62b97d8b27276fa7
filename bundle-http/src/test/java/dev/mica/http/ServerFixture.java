package dev.mica.http;

import dev.mica.api.cache.PrefixCache;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** Starts one server on a free loopback port with a {@link ScriptedInference} for a test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServerFixture {
    /** What a prefix cache with a two-arm experiment reports. */
    static final List<PrefixCache.ArmReport> CACHE_ARMS = List.of(
            new PrefixCache.ArmReport("control", "lru", 1, 10, 1000, 400, 0.4, 120, 300, 3, 512, 0, 0, 0, 0),
            new PrefixCache.ArmReport("test", "lru-branch", 1, 12, 1100, 700, 0.636, 80, 250, 1, 600, 4096, 0.2, 0.05, Double.POSITIVE_INFINITY));
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
                new BundleReport(8, "dev.mica.fragment", "0.1.0", "resolved", true)), () -> CACHE_ARMS);
        http = new Http(server.start());
    }

    @AfterAll
    void stopServer() {
        server.stop();
    }
}
