package dev.mica.http;

import dev.mica.api.cache.PrefixCache;
import dev.mica.api.inference.Inference;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The embedded Javalin server with every API mica speaks. Framework-free: the OSGi component
 * ({@link HttpComponent}) and the tests both construct it with an {@link Inference}.
 */
final class MicaHttpServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("mica.http");
    /** Held so java.util.logging keeps the levels set below (it only keeps loggers weakly). */
    static final Duration REQUEST_IDLE_TIMEOUT = Duration.ofHours(1);
    private static final List<Logger> QUIETED = List.of(Logger.getLogger("org.eclipse.jetty"), Logger.getLogger("io.javalin"));

    private static final String STARTED = "mica.started";

    private final HttpSettings settings;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Generations generations = new Generations(metrics);
    private final AccessControl access;
    private final List<ApiRoutes> apis;
    private Javalin app;
    private volatile URI uri;

    MicaHttpServer(HttpSettings settings, Inference inference, Supplier<List<BundleReport>> bundles) {
        this(settings, inference, bundles, () -> null);
    }

    /** @param cache the prefix cache, looked up at each request (null while no cache bundle is installed) */
    MicaHttpServer(HttpSettings settings, Inference inference, Supplier<List<BundleReport>> bundles, Supplier<PrefixCache> cache) {
        this.settings = settings;
        this.access = new AccessControl(settings);
        Json json = new Json(settings.maxBody());
        // Error shapes are chosen by the first API that owns the path: the narrow ones come first.
        // Anthropic's /v1/messages goes before OpenAI's, which owns the rest of /v1/.
        this.apis = List.of(
                new AnthropicRoutes(inference, json, generations),
                new OpenAiRoutes(inference, json, generations),
                new MetricsRoutes(inference, metrics, cache),
                new CacheRoutes(json, cache),
                new StatusRoutes(inference, json, bundles, settings.version(), () -> String.valueOf(uri)),
                new PullRoutes(inference, json),
                new OllamaRoutes(inference, json, generations, settings.version()));
    }

    /**
     * Jetty pads its queues to a cache line, and to size the padding asks the JVM through JMX
     * whether object references are compressed: that starts the platform MBean server, about a
     * tenth of the kernel's start-up. The answer follows from the heap (compressed up to 32 GiB),
     * so mica gives it, unless someone already set it.
     */
    private static void skipJettysJmxProbe() {
        if (System.getProperty("org.eclipse.jetty.util.referencesPerCacheLine") == null) {
            boolean compressedReferences = Runtime.getRuntime().maxMemory() < (32L << 30);
            System.setProperty("org.eclipse.jetty.util.referencesPerCacheLine", compressedReferences ? "16" : "8");
        }
    }

    /** Binds and starts serving; returns once the port is open. */
    synchronized URI start() {
        quietLibraryLogs();
        skipJettysJmxProbe();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // Jetty and slf4j look services up through the context class loader: in OSGi that must be
        // this bundle's loader, which sees the embedded jars, not whatever thread called us.
        thread.setContextClassLoader(MicaHttpServer.class.getClassLoader());
        try {
            app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.startup.showOldJavalinVersionWarning = false;
                cfg.startup.startupWatcherEnabled = false;
                // Compression would buffer the NDJSON/SSE streams; tokens must leave as they come.
                cfg.http.compressionStrategy = io.javalin.compression.CompressionStrategy.NONE;
                cfg.http.maxRequestSize = settings.maxBody();
                cfg.jetty.threadPool = threadPool();
                // While a request is handled Jetty uses this idle timeout instead of the connector's.
                // A model load or a long prompt keeps a stream silent for minutes; no idle check
                // should get a chance to cut it. Kept-alive connections between requests use the
                // connector's shorter timeout again.
                cfg.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(REQUEST_IDLE_TIMEOUT.toMillis()));
                cfg.jetty.addConnector((server, httpConfig) -> {
                    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
                    connector.setHost(settings.bindHost());
                    connector.setPort(settings.port());
                    connector.setIdleTimeout(settings.idleTimeout().toMillis());
                    return connector;
                });
                cfg.routes.before(ctx -> {
                    ctx.attribute(STARTED, System.nanoTime());
                    access.check(ctx);
                });
                for (ApiRoutes api : apis) {
                    api.register(cfg.routes);
                }
                cfg.routes.after(this::countRequest);
                cfg.routes.exception(HttpResponseException.class, (e, ctx) -> writeError(ctx, e));
                cfg.routes.exception(Exception.class, (e, ctx) -> writeError(ctx, e));
            });
            app.start();
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        } finally {
            thread.setContextClassLoader(previous);
        }
        String host = settings.bindHost() == null ? "127.0.0.1" : settings.bindHost().contains(":") ? "[" + settings.bindHost() + "]" : settings.bindHost();
        uri = URI.create("http://" + host + ":" + app.port());
        LOG.log(Level.INFO, "mica listening on {0}", uri);
        return uri;
    }

    /** Where clients reach the server; for a wildcard bind, the loopback address. */
    URI uri() {
        return uri;
    }

    /** Generations streaming right now (for tests and status). */
    int activeGenerations() {
        return generations.size();
    }

    /** Cancels the generations in flight, then stops Jetty; the port is free when this returns. */
    synchronized void stop() {
        generations.abortAll();
        stopQuietly();
        if (uri != null) LOG.log(Level.INFO, "mica stopped listening on {0}", uri);
    }

    @Override
    public void close() {
        stop();
    }

    private void stopQuietly() {
        if (app == null) return;
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(MicaHttpServer.class.getClassLoader());
        try {
            app.stop();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "stopping the HTTP server failed", e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Every request, matched or not, refused or served, counts once; routes are patterns, never raw paths. */
    private void countRequest(Context ctx) {
        Long started = ctx.attribute(STARTED);
        if (started == null) return;
        var endpoint = ctx.endpoints().lastHttpEndpoint();
        String route = endpoint == null ? "unmatched" : endpoint.path;
        metrics.request(route, ctx.method().name(), ctx.statusCode(), System.nanoTime() - started);
    }

    private void writeError(Context ctx, Exception e) {
        if (ctx.res().isCommitted()) {
            // A stream already under way carries its own error line; nothing more can be said.
            LOG.log(Level.DEBUG, "error after the response was committed: {0}", e.toString());
            return;
        }
        ApiError error = ApiError.of(e);
        for (ApiRoutes api : apis) {
            if (api.owns(ctx.path())) {
                api.writeError(ctx, error);
                return;
            }
        }
    }

    /**
     * Platform threads for Jetty's selector, virtual threads for requests: a streaming request
     * spends its life waiting for tokens and should not hold a platform thread.
     */
    private static QueuedThreadPool threadPool() {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4, 60_000);
        pool.setName("mica-http");
        pool.setDaemon(true);
        pool.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("mica-http-", 0).factory()));
        return pool;
    }

    /** Jetty and Javalin log their start-up at INFO; mica's own line says what matters. A level set by the user wins. */
    private static void quietLibraryLogs() {
        for (Logger logger : QUIETED) {
            if (logger.getLevel() == null) logger.setLevel(java.util.logging.Level.WARNING);
        }
    }
}
