package dev.mica.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.backend.DeviceInfo;
import dev.mica.api.inference.BackendReport;
import dev.mica.api.inference.Inference;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /api/mica/status}: what runs, for a person or a health check: the backends with their
 * availability, and every OSGi bundle with its state, bundles that failed to start flagged.
 * {@code ok} is false when a bundle failed or no backend is available.
 */
final class StatusRoutes implements ApiRoutes {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final Inference inference;
    private final Json json;
    private final Supplier<List<BundleReport>> bundles;
    private final String version;
    private final Supplier<String> url;

    StatusRoutes(Inference inference, Json json, Supplier<List<BundleReport>> bundles, String version, Supplier<String> url) {
        this.inference = inference;
        this.json = json;
        this.bundles = bundles;
        this.version = version;
        this.url = url;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/mica/status", this::status);
    }


    private void status(Context ctx) {
        ObjectNode o = json.object();
        o.put("version", version);
        o.put("url", url.get());
        boolean anyBackend = false;
        ArrayNode backends = o.putArray("backends");
        List<BackendReport> reports;
        try {
            reports = inference.backends();
        } catch (RuntimeException e) {
            // The page must answer even when the engine is in trouble: that is when it is read.
            LOG.log(Level.WARNING, "backends() failed", e);
            reports = List.of();
            o.put("backends_error", String.valueOf(e.getMessage()));
        }
        for (BackendReport b : reports) {
            ObjectNode row = backends.addObject();
            row.put("id", b.id());
            row.put("available", b.available());
            row.put("detail", b.detail());
            ArrayNode devices = row.putArray("devices");
            if (b.devices() != null) {
                for (DeviceInfo d : b.devices()) {
                    devices.addObject().put("name", d.name()).put("kind", d.kind())
                            .put("total_memory", d.totalMemory()).put("free_memory", d.freeMemory());
                }
            }
            ArrayNode loaded = row.putArray("loaded_models");
            if (b.loadedModels() != null) b.loadedModels().forEach(loaded::add);
            anyBackend |= b.available();
        }
        ArrayNode list = o.putArray("bundles");
        ArrayNode failed = json.array();
        for (BundleReport b : bundles.get()) {
            list.addObject().put("id", b.id()).put("symbolic_name", b.symbolicName()).put("version", b.version())
                    .put("state", b.state()).put("fragment", b.fragment()).put("failed", b.problem());
            if (b.problem()) failed.add(b.symbolicName() + " " + b.version() + " is " + b.state() + ", not active");
        }
        o.set("failed_bundles", failed);
        o.put("ok", anyBackend && failed.isEmpty());
        ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(o));
    }
}
