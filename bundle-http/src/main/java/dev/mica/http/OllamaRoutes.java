package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.EmbedRequest;
import dev.mica.api.inference.EmbedResult;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore.StatusListener;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Ollama's native API under {@code /api}: NDJSON streaming by default, one JSON object with
 * {@code "stream": false}, and {@code {"error": "..."}} for failures, as the {@code ollama} CLI and
 * its client libraries expect.
 */
final class OllamaRoutes implements ApiRoutes {
    private static final System.Logger LOG = System.getLogger("mica.http");
    static final String JSON_TYPE = "application/json; charset=utf-8";
    private static final Pattern DIGEST = Pattern.compile("sha256[:-]([0-9a-f]{64})");

    private final Inference inference;
    private final Json json;
    private final Generations generations;
    private final String version;
    private final OllamaRequests requests;
    private final OllamaResponses responses;

    OllamaRoutes(Inference inference, Json json, Generations generations, String version) {
        this.inference = inference;
        this.json = json;
        this.generations = generations;
        this.version = version;
        this.requests = new OllamaRequests(json);
        this.responses = new OllamaResponses(json);
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/", ctx -> ctx.contentType("text/plain; charset=utf-8").result("mica is running"));
        routes.head("/", ctx -> ctx.contentType("text/plain; charset=utf-8").status(200));
        routes.get("/api/version", ctx -> sendJson(ctx, json.object().put("version", version)));
        routes.get("/api/tags", ctx -> sendJson(ctx, responses.tags(inference.models())));
        routes.get("/api/ps", ctx -> sendJson(ctx, responses.ps(inference.running())));
        routes.post("/api/show", this::show);
        routes.post("/api/generate", this::generate);
        routes.post("/api/chat", this::chat);
        routes.post("/api/embed", this::embed);
        routes.post("/api/embeddings", this::embeddings);
        routes.post("/api/create", this::create);
        routes.head("/api/blobs/{digest}", this::hasBlob);
        routes.post("/api/blobs/{digest}", this::putBlob);
        routes.delete("/api/delete", this::delete);
        routes.post("/api/copy", this::copy);
    }

    @Override
    public boolean owns(String path) {
        return true; // the fallback shape: every path no other API claims
    }

    @Override
    public void writeError(Context ctx, ApiError error) {
        ctx.status(error.status()).contentType(JSON_TYPE).result(json.bytes(responses.error(error.message())));
    }

    private void show(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        sendJson(ctx, responses.show(inference.show(OllamaRequests.model(f))));
    }

    private void generate(Context ctx) throws Exception {
        var call = requests.generate(json.readObject(ctx));
        GenerateRequest r = call.request();
        if ((r.prompt() == null || r.prompt().isEmpty()) && r.images().isEmpty()) {
            loadOrUnload(ctx, r.model(), r.keepAlive(), false, call.stream());
            return;
        }
        stream(ctx, call.stream(), r.model(), sink -> inference.generate(r, sink), false);
    }

    private void chat(Context ctx) throws Exception {
        var call = requests.chat(json.readObject(ctx));
        ChatRequest r = call.request();
        if (r.messages().isEmpty()) {
            loadOrUnload(ctx, r.model(), r.keepAlive(), true, call.stream());
            return;
        }
        stream(ctx, call.stream(), r.model(), sink -> inference.chat(r, sink), true);
    }

    @FunctionalInterface
    interface Starter {
        Generation start(Inference.EventSink sink) throws InferenceException;
    }

    /**
     * Runs a generation and answers with NDJSON chunks, or with one object when not streamed. Errors
     * before the first chunk get a proper status; after it they travel as an {@code error} line.
     */
    private void stream(Context ctx, boolean stream, String model, Starter starter, boolean chat) throws Exception {
        EventPump pump = generations.open();
        Generation generation;
        try {
            generation = starter.start(pump);
        } catch (InferenceException | RuntimeException e) {
            pump.close();
            throw e;
        }
        if (!stream) {
            Transcript transcript = new Transcript();
            GenerationEvent.Done done = pump.drain(generation, transcript);
            sendJson(ctx, chat ? responses.chatDone(model, done, transcript) : responses.generateDone(model, done, transcript));
            return;
        }
        NdjsonStream out = new NdjsonStream(ctx, json);
        try {
            pump.drain(generation, event -> out.send(switch (event) {
                case GenerationEvent.Done done -> chat ? responses.chatDone(model, done, null) : responses.generateDone(model, done, null);
                default -> chat ? responses.chatChunk(model, event) : responses.generateChunk(model, event);
            }));
        } catch (InferenceException e) {
            if (!out.committed()) throw e;
            sendQuietly(out, responses.error(ApiError.of(e).message()));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client went away; generation cancelled: {0}", e.toString());
        }
    }

    /** Ollama's empty prompt: load the model, or unload it when keep_alive is 0. */
    private void loadOrUnload(Context ctx, String model, Duration keepAlive, boolean chat, boolean stream) throws InferenceException {
        GenerationEvent.DoneReason reason;
        if (keepAlive != null && keepAlive.isZero()) {
            inference.unload(model);
            reason = GenerationEvent.DoneReason.UNLOAD;
        } else {
            inference.load(model, keepAlive);
            reason = GenerationEvent.DoneReason.LOAD;
        }
        ObjectNode body = responses.loadDone(model, chat, reason);
        if (stream) {
            ctx.contentType(NdjsonStream.CONTENT_TYPE).result(NdjsonStream.line(json, body));
        } else {
            sendJson(ctx, body);
        }
    }

    private void embed(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        List<String> input = f.stringOrStrings("input");
        EmbedRequest request = new EmbedRequest(OllamaRequests.model(f), input == null ? List.of() : input,
                f.bool("truncate", true), positive(f, "dimensions"), OllamaRequests.options(f.object("options")),
                OllamaRequests.keepAlive(f));
        sendJson(ctx, responses.embed(inference.embed(request)));
    }

    /** The older single-input endpoint: {@code {"embedding": [...]}}. */
    private void embeddings(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        String prompt = f.string("prompt");
        String model = OllamaRequests.model(f);
        EmbedRequest request = new EmbedRequest(model, prompt == null || prompt.isEmpty() ? List.of() : List.of(prompt),
                true, null, OllamaRequests.options(f.object("options")), OllamaRequests.keepAlive(f));
        EmbedResult result = inference.embed(request);
        ObjectNode body = json.object();
        var vector = body.putArray("embedding");
        if (!result.embeddings().isEmpty()) {
            for (float v : result.embeddings().getFirst()) vector.add(v);
        }
        sendJson(ctx, body);
    }

    private void create(Context ctx) throws Exception {
        var call = requests.create(json.readObject(ctx));
        CreateRequest request = call.request();
        if (!call.stream()) {
            inference.create(request, StatusListener.NONE);
            sendJson(ctx, responses.status("success"));
            return;
        }
        NdjsonStream out = new NdjsonStream(ctx, json);
        CreateProgress progress = new CreateProgress(out);
        try {
            inference.create(request, progress);
            if (!"success".equals(progress.last)) progress.status("success");
        } catch (InferenceException | RuntimeException e) {
            if (!out.committed()) throw e;
            sendQuietly(out, responses.error(ApiError.of(e).message()));
        }
    }

    /** Streams create's status lines; a client that left stops the writing, not the creation. */
    private final class CreateProgress implements StatusListener {
        private final NdjsonStream out;
        private volatile boolean gone;
        private volatile String last;

        CreateProgress(NdjsonStream out) {
            this.out = out;
        }

        @Override
        public void status(String status) {
            if (gone) return;
            try {
                out.send(responses.status(status));
                last = status;
            } catch (IOException e) {
                gone = true;
            }
        }
    }

    private void hasBlob(Context ctx) {
        ctx.status(inference.hasBlob(digest(ctx)) ? 200 : 404);
    }

    /** Streams the body straight to the store: blobs are model weights, far larger than mica.http.max_body. */
    private void putBlob(Context ctx) throws Exception {
        String digest = digest(ctx);
        if (inference.hasBlob(digest)) {
            // Answering before the upload is read makes the server drop the connection under a
            // client still sending, which then sees a reset instead of this 200: read it to the end.
            try (InputStream body = ctx.req().getInputStream()) {
                body.transferTo(java.io.OutputStream.nullOutputStream());
            }
            ctx.status(200);
            return;
        }
        try (InputStream body = ctx.req().getInputStream()) {
            inference.putBlob(digest, body);
        }
        ctx.status(201);
    }

    private void delete(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        inference.delete(OllamaRequests.model(f));
        ctx.status(200);
    }

    private void copy(Context ctx) throws InferenceException {
        Fields f = Fields.of(json.readObject(ctx));
        inference.copy(f.requiredString("source"), f.requiredString("destination"));
        ctx.status(200);
    }

    /** {@code sha256:<64 hex>} (Ollama also accepts the file-name form {@code sha256-<hex>}). */
    private static String digest(Context ctx) {
        String raw = ctx.pathParam("digest");
        var m = DIGEST.matcher(raw);
        if (!m.matches()) {
            throw ApiException.badField("digest", "invalid digest \"" + raw + "\": expected sha256:<64 hex digits>");
        }
        return "sha256:" + m.group(1);
    }

    private static Integer positive(Fields f, String name) {
        Integer v = f.integer(name);
        if (v != null && v <= 0) throw ApiException.badField(name, name + " must be positive");
        return v;
    }

    private void sendJson(Context ctx, JsonNode body) {
        ctx.contentType(JSON_TYPE).result(json.bytes(body));
    }

    private static void sendQuietly(NdjsonStream out, JsonNode line) {
        try {
            out.send(line);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "client went away before the error line: {0}", e.toString());
        }
    }
}
