package dev.mica.http;

import dev.mica.api.backend.DeviceInfo;
import dev.mica.api.inference.BackendReport;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.EmbedRequest;
import dev.mica.api.inference.EmbedResult;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.InferenceException.Kind;
import dev.mica.api.inference.Metrics;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.ModelDetails;
import dev.mica.api.inference.ModelSummary;
import dev.mica.api.inference.RunningModel;
import dev.mica.api.inference.ToolCall;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore.StatusListener;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fake engine for the HTTP tests: each model name plays a script on its own "engine" thread, as
 * the real engine calls the sink from its own threads.
 *
 * <ul>
 *   <li>{@code stories}: tokens "Once", " upon", " a", " time", then Done(stop) with metrics and context
 *   <li>{@code thinker}: thinking "hmm", token "42", Done
 *   <li>{@code tools}: a tool call get_weather{city: Paris}, Done
 *   <li>{@code endless}: a token every 5 ms until cancelled, then Done(cancelled)
 *   <li>{@code broken}: one token, then result() fails with INTERNAL (a failure mid-stream)
 *   <li>{@code vanishing}: no event; result() fails with NOT_FOUND (a late failure before any event)
 *   <li>{@code slow}: waits {@link #slowMillis} before the first token
 *   <li>{@code stopper}: token "Hello", then Done(stop) caused by the stop sequence "END"
 *   <li>{@code cutoff}: token "Once", then Done(length): the answer ran into its token limit
 *   <li>{@code busy}: refused at once with UNAVAILABLE; any other name: NOT_FOUND
 * </ul>
 */
final class ScriptedInference implements Inference {
    static final Metrics METRICS = new Metrics(12, 10, 2, 4, 1_000L, 2_000L, 3_000L, 7_000L);
    static final Set<String> MODELS = Set.of("stories:latest", "thinker:latest", "tools:latest", "endless:latest",
            "broken:latest", "vanishing:latest", "slow:latest", "stopper:latest", "cutoff:latest");

    final AtomicReference<GenerateRequest> lastGenerate = new AtomicReference<>();
    final AtomicReference<ChatRequest> lastChat = new AtomicReference<>();
    final AtomicReference<CreateRequest> lastCreate = new AtomicReference<>();
    final AtomicReference<EmbedRequest> lastEmbed = new AtomicReference<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    volatile CountDownLatch cancelled = new CountDownLatch(1);
    volatile CountDownLatch endlessStarted = new CountDownLatch(1);
    volatile long slowMillis = 0;

    @Override
    public Generation generate(GenerateRequest request, EventSink sink) throws InferenceException {
        lastGenerate.set(request);
        return play(request.model(), sink);
    }

    @Override
    public Generation chat(ChatRequest request, EventSink sink) throws InferenceException {
        lastChat.set(request);
        return play(request.model(), sink);
    }

    private Generation play(String model, EventSink sink) throws InferenceException {
        String name = canonical(model);
        if (name.equals("busy:latest")) throw new InferenceException(Kind.UNAVAILABLE, "queue full");
        if (!MODELS.contains(name)) throw new InferenceException(Kind.NOT_FOUND, "model '" + model + "' not found");
        Run run = new Run();
        Thread.ofPlatform().daemon().name("fake-engine-" + name).start(() -> run.play(name, sink));
        return run;
    }

    /** One generation: cancel() is seen by the script between events. */
    private final class Run implements Generation {
        final CompletableFuture<Done> result = new CompletableFuture<>();
        final AtomicBoolean cancel = new AtomicBoolean();

        @Override
        public void cancel() {
            if (cancel.compareAndSet(false, true)) {
                calls.add("cancel");
                cancelled.countDown();
            }
        }

        @Override
        public CompletableFuture<Done> result() {
            return result;
        }

        @Override
        public int promptTokens() {
            return METRICS.promptTokens();
        }

        void play(String name, EventSink sink) {
            try {
                switch (name) {
                    case "stories:latest" -> {
                        for (String t : List.of("Once", " upon", " a", " time")) sink.accept(new GenerationEvent.Token(t, null));
                        finish(sink, DoneReason.STOP);
                    }
                    case "thinker:latest" -> {
                        sink.accept(new GenerationEvent.Thinking("hmm"));
                        sink.accept(new GenerationEvent.Token("42", new GenerationEvent.Logprob("42", -0.25, "42".getBytes(),
                                List.of(new GenerationEvent.Logprob("41", -2.5, "41".getBytes(), List.of())))));
                        finish(sink, DoneReason.STOP);
                    }
                    case "tools:latest" -> {
                        sink.accept(new GenerationEvent.ToolCalls(List.of(new ToolCall("call_1", "get_weather", Map.of("city", "Paris")))));
                        finish(sink, DoneReason.STOP);
                    }
                    case "endless:latest" -> {
                        endlessStarted.countDown();
                        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while (!cancel.get() && System.nanoTime() < deadline) {
                            sink.accept(new GenerationEvent.Token("x", null));
                            Thread.sleep(5);
                        }
                        finish(sink, cancel.get() ? DoneReason.CANCELLED : DoneReason.LENGTH);
                    }
                    case "broken:latest" -> {
                        sink.accept(new GenerationEvent.Token("half", null));
                        Thread.sleep(20);
                        result.completeExceptionally(new InferenceException(Kind.INTERNAL, "backend crashed"));
                    }
                    case "vanishing:latest" -> result.completeExceptionally(new InferenceException(Kind.NOT_FOUND, "model 'vanishing' was deleted"));
                    case "slow:latest" -> {
                        Thread.sleep(slowMillis);
                        sink.accept(new GenerationEvent.Token("late", null));
                        finish(sink, DoneReason.STOP);
                    }
                    case "stopper:latest" -> {
                        sink.accept(new GenerationEvent.Token("Hello", null));
                        Done done = new Done(DoneReason.STOP, METRICS, null, "fake", "END");
                        sink.accept(done);
                        result.complete(done);
                    }
                    case "cutoff:latest" -> {
                        sink.accept(new GenerationEvent.Token("Once", null));
                        finish(sink, DoneReason.LENGTH);
                    }
                    default -> result.completeExceptionally(new IllegalStateException(name));
                }
            } catch (InterruptedException e) {
                result.completeExceptionally(e);
            }
        }

        void finish(EventSink sink, DoneReason reason) {
            Done done = new Done(reason, METRICS, new int[] {1, 2, 3}, "fake");
            sink.accept(done);
            result.complete(done);
        }
    }

    static String canonical(String name) {
        return name.contains(":") ? name : name + ":latest";
    }

    static ModelDetails.Details details() {
        return new ModelDetails.Details("", "gguf", "llama", List.of("llama"), "15M", "Q8_0");
    }

    @Override
    public EmbedResult embed(EmbedRequest request) throws InferenceException {
        lastEmbed.set(request);
        if (!MODELS.contains(canonical(request.model()))) throw new InferenceException(Kind.NOT_FOUND, "model '" + request.model() + "' not found");
        List<float[]> vectors = request.input().stream().map(s -> new float[] {s.length(), 0.5f, -1f}).toList();
        return new EmbedResult(request.model(), vectors, 3 * request.input().size(), 10, 20);
    }

    @Override
    public int countTokens(ChatRequest request) {
        return 3;
    }

    @Override
    public List<ModelSummary> models() {
        return List.of(
                new ModelSummary("stories:latest", "sha256:" + "ab".repeat(32), 1234, Instant.parse("2026-01-02T03:04:05.123456789Z"), details()),
                new ModelSummary("acme/tools:latest", "sha256:" + "cd".repeat(32), 99, Instant.parse("2026-01-02T03:04:05Z"), details()));
    }

    @Override
    public ModelDetails show(String name) throws InferenceException {
        if (!MODELS.contains(canonical(name))) throw new InferenceException(Kind.NOT_FOUND, "model '" + name + "' not found");
        return new ModelDetails(canonical(name), "FROM stories\n", "temperature 0.7", "{{ .Prompt }}", null, details(),
                Map.of("general.architecture", "llama", "llama.context_length", 256), List.of("completion"),
                Instant.parse("2026-01-02T03:04:05Z"),
                canonical(name).equals("tools:latest") ? List.of(Message.of("user", "hi"), Message.of("assistant", "hello")) : List.of(),
                canonical(name).equals("tools:latest") ? List.of("MIT", "Apache-2.0") : List.of());
    }

    @Override
    public List<RunningModel> running() {
        return List.of(
                new RunningModel("stories:latest", "sha256:" + "ab".repeat(32), 1234, 1000, details(), Instant.parse("2030-01-01T00:00:00Z"), 256, "java",
                        "pure Java on 2 cores"),
                new RunningModel("thinker:latest", "sha256:" + "ef".repeat(32), 10, 0, details(), null, 512, "ggml"));
    }

    @Override
    public void load(String name, Duration keepAlive) throws InferenceException {
        if (!MODELS.contains(canonical(name))) throw new InferenceException(Kind.NOT_FOUND, "model '" + name + "' not found");
        calls.add("load " + name + " " + keepAlive);
    }

    @Override
    public boolean unload(String name) {
        calls.add("unload " + name);
        return true;
    }

    @Override
    public ModelSummary create(CreateRequest request, StatusListener status) throws InferenceException {
        lastCreate.set(request);
        if (request.from() == null) throw new InferenceException(Kind.INVALID_REQUEST, "from is required");
        if (request.from().equals("nowhere")) throw new InferenceException(Kind.NOT_FOUND, "model 'nowhere' not found");
        status.status("parsing model");
        status.status("writing manifest");
        if (request.from().equals("half")) throw new InferenceException(Kind.INTERNAL, "disk full");
        status.status("success");
        return models().getFirst();
    }

    @Override
    public void copy(String source, String target) throws InferenceException {
        if (!MODELS.contains(canonical(source))) throw new InferenceException(Kind.NOT_FOUND, "model '" + source + "' not found");
        calls.add("copy " + source + " " + target);
    }

    @Override
    public void delete(String name) throws InferenceException {
        if (!MODELS.contains(canonical(name))) throw new InferenceException(Kind.NOT_FOUND, "model '" + name + "' not found");
        calls.add("delete " + name);
    }

    @Override
    public boolean hasBlob(String digest) {
        return blobs.containsKey(digest);
    }

    @Override
    public void putBlob(String digest, InputStream content) throws InferenceException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[8192];
            long total = 0;
            int n;
            while ((n = content.read(buffer)) != -1) {
                sha.update(buffer, 0, n);
                total += n;
            }
            String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(digest)) throw new InferenceException(Kind.INVALID_REQUEST, "digest mismatch: got " + actual);
            blobs.put(digest, new byte[0]);
            calls.add("blob " + total);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new InferenceException(Kind.INTERNAL, e.toString(), e);
        }
    }

    @Override
    public List<BackendReport> backends() {
        return List.of(new BackendReport("java", true, "pure Java", List.of(new DeviceInfo("cpu", "cpu", 1L << 30, 1L << 29)), List.of("stories:latest")),
                new BackendReport("ggml", false, "libllama not found", List.of(), List.of()));
    }
}
