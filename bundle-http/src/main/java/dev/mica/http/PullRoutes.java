package dev.mica.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.model.ModelStore.PullListener;
import dev.mica.api.model.PullOptions;
import dev.mica.api.model.PullProgress;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * Ollama's {@code POST /api/pull}: {@code {"model", "insecure", "stream"}} in, Ollama's progress
 * objects out as NDJSON ({@code status}, and for a blob {@code digest}, {@code total},
 * {@code completed}), ending with {@code {"status":"success"}} or an {@code error} line. With
 * {@code "stream": false} one object answers once the pull is done. A client that goes away
 * cancels the pull; its downloads resume with the next pull.
 */
final class PullRoutes implements ApiRoutes {
    private static final System.Logger LOG = System.getLogger("mica.http");

    private final Inference inference;
    private final Json json;
    private final OllamaResponses responses;

    PullRoutes(Inference inference, Json json) {
        this.inference = inference;
        this.json = json;
        this.responses = new OllamaResponses(json);
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/api/pull", this::pull);
    }

    @Override
    public boolean owns(String path) {
        return path.equals("/api/pull");
    }

    @Override
    public void writeError(Context ctx, ApiError error) {
        ctx.status(error.status()).contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(responses.error(error.message())));
    }

    private void pull(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        String model = OllamaRequests.model(f);
        PullOptions options = new PullOptions(f.bool("insecure", false));
        if (!f.bool("stream", true)) {
            inference.pull(model, options, PullListener.NONE);
            ctx.contentType(OllamaRoutes.JSON_TYPE).result(json.bytes(responses.status("success")));
            return;
        }
        NdjsonStream out = new NdjsonStream(ctx, json);
        Progress progress = new Progress(out, Thread.currentThread());
        try {
            inference.pull(model, options, progress);
        } catch (InferenceException | RuntimeException e) {
            if (progress.gone) {
                LOG.log(Level.DEBUG, "pull of {0} stopped: the client went away", model);
                return;
            }
            if (!out.committed()) throw e;
            try {
                out.send(responses.error(ApiError.of(e).message()));
            } catch (IOException gone) {
                LOG.log(Level.DEBUG, "client went away before the error line: {0}", gone.toString());
            }
        } finally {
            // The interrupt that cancelled the pull must not reach Jetty's code after this handler.
            Thread.interrupted();
        }
    }

    /** Writes each progress object; when the client is gone it interrupts the pulling thread, which cancels the pull. */
    private final class Progress implements PullListener {
        private final NdjsonStream out;
        private final Thread puller;
        private volatile boolean gone;

        Progress(NdjsonStream out, Thread puller) {
            this.out = out;
            this.puller = puller;
        }

        @Override
        public void progress(PullProgress p) {
            if (gone) return;
            ObjectNode line = json.object().put("status", p.status());
            if (p.digest() != null) {
                line.put("digest", p.digest()).put("total", p.total()).put("completed", p.completed());
            }
            try {
                out.send(line);
            } catch (IOException e) {
                gone = true;
                puller.interrupt();
            }
        }
    }
}
