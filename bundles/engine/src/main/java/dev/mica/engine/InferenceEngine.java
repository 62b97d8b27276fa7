package dev.mica.engine;

import dev.mica.api.backend.Backend;
import dev.mica.api.cache.PrefixCache;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.BackendStatus;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.Tokenizer;
import dev.mica.api.inference.BackendReport;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.EmbedRequest;
import dev.mica.api.inference.EmbedResult;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.Inference;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.InferenceException.Kind;
import dev.mica.api.inference.Metrics;
import dev.mica.api.inference.ModelDetails;
import dev.mica.api.inference.ModelSummary;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.QueueStatus;
import dev.mica.api.inference.RunningModel;
import dev.mica.api.inference.Think;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStore.StatusListener;
import dev.mica.api.model.ModelStoreException;
import dev.mica.engine.grammar.GbnfConstraints;
import dev.mica.engine.grammar.InvalidSchemaException;
import dev.mica.engine.grammar.OutputConstraints;
import dev.mica.engine.output.OutputParser;
import dev.mica.engine.output.ToolCallDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The inference service. Resolves a model name in the store, picks a backend, keeps the model
 * loaded for its keep-alive, renders the prompt and runs the generation on an engine thread.
 *
 * <p>Backends come and go as services. A new or better-ranked backend takes new requests at once;
 * the model's runner on the old backend retires and closes when its last request is done. When a
 * backend leaves, its unbind waits (bounded by {@code mica.drain.timeout}) for its requests to end.
 *
 * <p>Configuration (framework properties, overridden by Configuration Admin PID
 * {@code dev.mica.engine}, e.g. a {@code deploy/dev.mica.engine.cfg} file): {@code backends} /
 * {@code mica.backends} (preference order, default "ggml,java,mlx"), {@code mica.keep_alive}
 * (default 5m), {@code mica.drain.timeout} (default 30s), {@code mica.num_thread},
 * {@code mica.num_parallel} (sequences decoded together per model, default 4; a change applies to
 * models loaded after it), {@code mica.kv_unified} (true, the default: one KV memory for all of a
 * model's sequences, where prefixes are shared without copies; false: a KV stream per sequence, as
 * llama-server lays it out with {@code -np N}: decode attends only its own stream, but a prefix copy
 * is a copy, and a step whose sequences are not numbered consecutively is split in several
 * passes by libllama) and {@code mica.max_queue} (requests that may wait for a sequence over
 * all models, default 512; one more is refused as unavailable). {@code MICA_NUM_PARALLEL} and
 * the like reach these keys through the kernel's configuration.
 *
 * <p>Generation: the request is checked, the model acquired and the prompt rendered on the
 * caller's thread (so a bad request, a failed load or a template error is an exception before any
 * event); then the model's {@link Scheduler} decodes it together with the others.
 */
@Component(service = Inference.class, configurationPid = "dev.mica.engine")
public final class InferenceEngine implements Inference {
    private static final System.Logger LOG = System.getLogger("mica.engine");

    private final ModelStore store;
    private final Backends backends;
    private final Map<String, ModelRunner> runners = new ConcurrentHashMap<>();
    private final Map<String, Object> loadLocks = new ConcurrentHashMap<>();
    private final Map<String, ModelFacts.Facts> facts = new ConcurrentHashMap<>();
    private final Prompts prompts = new Prompts();
    private final OutputConstraints constraints = new GbnfConstraints();
    /** Requests waiting for a sequence, over all models: the queue {@code mica.max_queue} bounds. */
    private final AtomicInteger queued = new AtomicInteger();
    private final ScheduledExecutorService reaper;
    private volatile Duration defaultKeepAlive;
    private volatile Duration drainTimeout;
    private volatile int defaultThreads;
    private volatile int numParallel;
    private volatile boolean unifiedKv;
    private volatile int maxQueue;
    /**
     * The prefix cache bundle's service, when one is installed: contexts created after it arrives
     * place their prompts through it; those before keep the engine's own placement until re-created.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile PrefixCache prefixCache;
    private final BundleContext context;

    @Activate
    public InferenceEngine(@Reference ModelStore store, BundleContext context, Map<String, Object> config) {
        this.store = store;
        this.context = context;
        this.backends = new Backends(List.of("ggml", "java", "mlx"));
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mica-keepalive");
            t.setDaemon(true);
            return t;
        });
        configure(config);
        reaper.scheduleWithFixedDelay(this::unloadExpired, 1, 1, TimeUnit.SECONDS);
    }

    @Modified
    void configure(Map<String, Object> config) {
        backends.order(List.of(setting(config, "backends", "mica.backends", "ggml,java,mlx").split("\\s*,\\s*")));
        defaultKeepAlive = Durations.parse(setting(config, "keep_alive", "mica.keep_alive", "5m"));
        drainTimeout = Durations.parse(setting(config, "drain.timeout", "mica.drain.timeout", "30s"));
        defaultThreads = Integer.parseInt(setting(config, "num_thread", "mica.num_thread", Integer.toString(Runtime.getRuntime().availableProcessors())));
        numParallel = atLeastOne("num_parallel", setting(config, "num_parallel", "mica.num_parallel", "4"));
        unifiedKv = bool("kv_unified", setting(config, "kv_unified", "mica.kv_unified", "true"));
        maxQueue = atLeastOne("max_queue", setting(config, "max_queue", "mica.max_queue", "512"));
        LOG.log(Level.INFO, "backend order " + backends.order() + ", keep_alive " + defaultKeepAlive + ", num_parallel " + numParallel
                + (unifiedKv ? " (one KV memory)" : " (a KV stream each)") + ", max_queue " + maxQueue);
    }

    private static boolean bool(String name, String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, not \"" + value + "\"");
        };
    }

    private static int atLeastOne(String name, String value) {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mica." + name + " must be a number, got " + value);
        }
        if (n < 1) throw new IllegalArgumentException("mica." + name + " must be at least 1, got " + n);
        return n;
    }

    private String setting(Map<String, Object> config, String key, String frameworkKey, String fallback) {
        Object v = config == null ? null : config.get(key);
        if (v != null) return v.toString();
        String p = context == null ? null : context.getProperty(frameworkKey);
        return p != null ? p : fallback;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addBackend(Backend backend) {
        backends.add(backend);
        LOG.log(Level.INFO, "backend " + backend.id() + " arrived: " + backend.status().detail());
    }

    /** Drains: new requests go elsewhere at once; the ones running here may finish, for a while. */
    void removeBackend(Backend backend) {
        backends.remove(backend);
        List<ModelRunner> leaving = new ArrayList<>();
        runners.forEach((k, r) -> {
            if (r.backend == backend && runners.remove(k, r)) leaving.add(r);
        });
        leaving.forEach(ModelRunner::retire);
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        for (ModelRunner r : leaving) {
            while (r.inFlight() > 0 && System.nanoTime() < deadline) {
                sleep(5);
            }
            if (r.inFlight() > 0) {
                LOG.log(Level.WARNING, "drain of " + backend.id() + " timed out; aborting " + r.inFlight() + " request(s) on " + r.model.name());
                r.abort();
            }
            r.close();
        }
        LOG.log(Level.INFO, "backend " + backend.id() + " left" + (leaving.isEmpty() ? "" : " after draining " + leaving.size() + " model(s)"));
    }

    @Deactivate
    void deactivate() {
        reaper.shutdownNow();
        runners.values().forEach(ModelRunner::abort);
        runners.values().forEach(ModelRunner::close);
        runners.clear();
    }

    // --- generation ------------------------------------------------------------------------

    @Override
    public Generation generate(GenerateRequest r, EventSink sink) throws InferenceException {
        ModelDescriptor d = resolve(r.model());
        rejectImages(d, !r.images().isEmpty());
        RequestOptions opts = RequestOptions.resolve(r.options(), d.parameters(), defaultThreads);
        Duration keep = keepAlive(r.keepAlive());
        boolean nothingToDo = (r.prompt() == null || r.prompt().isEmpty()) && (r.context() == null || r.context().length == 0);
        if (nothingToDo) return loadOnly(d, keep, opts, sink);
        long t0 = System.nanoTime();
        Acquired a = acquire(d, keep, opts);
        Request request = new Request(r.format(), r.think(), r.logprobs(), r.topLogprobs(), List.of(), false, true, null);
        return start(a, keep, opts, sink, t0, request, think -> prompts.generate(r, d, a.runner.loaded.info(), a.runner.loaded.tokenizer(), think));
    }

    @Override
    public Generation chat(ChatRequest r, EventSink sink) throws InferenceException {
        ModelDescriptor d = resolve(r.model());
        rejectImages(d, r.messages().stream().anyMatch(m -> !m.images().isEmpty()));
        RequestOptions opts = RequestOptions.resolve(r.options(), d.parameters(), defaultThreads);
        Duration keep = keepAlive(r.keepAlive());
        if (r.messages().isEmpty()) return loadOnly(d, keep, opts, sink);
        long t0 = System.nanoTime();
        Acquired a = acquire(d, keep, opts);
        String conversation = ConversationKey.of(r.conversationId(), r.messages().stream().map(Message::content).toList());
        Request request = new Request(r.format(), r.think(), r.logprobs(), r.topLogprobs(), r.tools(), r.toolsRequired(), false, conversation);
        return start(a, keep, opts, sink, t0, request, think -> prompts.chat(r, d, a.runner.loaded.info(), a.runner.loaded.tokenizer(), think));
    }

    /**
     * What shapes a generation besides its prompt and options; {@code conversation} is its key for
     * the prefix cache's experiments (null: taken from the prompt's first tokens).
     */
    private record Request(OutputFormat format, Think think, boolean logprobs, int topLogprobs, List<Map<String, Object>> tools, boolean toolsRequired,
                           boolean withContext, String conversation) {}

    @FunctionalInterface
    private interface Renderer {
        Prompts.Rendered render(Think think) throws InferenceException;
    }

    /** Ollama's empty prompt: load the model (and say so), or unload it when keep_alive is 0. */
    private Generation loadOnly(ModelDescriptor d, Duration keep, RequestOptions opts, EventSink sink) throws InferenceException {
        if (keep.isZero()) {
            unload(d.name());
            return finished(sink, DoneReason.UNLOAD, 0, 0, null);
        }
        long t0 = System.nanoTime();
        Acquired a = acquire(d, keep, opts);
        release(a.runner, keep);
        return finished(sink, DoneReason.LOAD, a.loadNanos, System.nanoTime() - t0, a.runner.backend.id());
    }

    /**
     * Renders and checks the prompt, compiles the output constraint and queues the generation on
     * the model's scheduler. The model stays acquired until the generation ends; on any refusal
     * here it is released at once.
     */
    private Generation start(Acquired a, Duration keep, RequestOptions opts, EventSink sink, long t0, Request req, Renderer renderer)
            throws InferenceException {
        ModelRunner runner = a.runner;
        try {
            Constraint constraint;
            try {
                constraint = constraints.compile(req.format());
            } catch (InvalidSchemaException e) {
                throw new InferenceException(Kind.INVALID_REQUEST, "invalid format schema: " + e.getMessage(), e);
            }
            if (constraint != null && req.toolsRequired()) {
                throw new InferenceException(Kind.INVALID_REQUEST, "a required tool call and a response format cannot both shape the answer; drop one");
            }
            // A constrained answer starts with the format at once: there is no room for a think
            // block, so the template is asked not to open one unless the client insists.
            boolean constrained = constraint != null || req.toolsRequired();
            Think think = constrained && (req.think() == null || !req.think().enabled()) ? Think.OFF : req.think();
            Prompts.Rendered prompt = renderer.render(think);
            if (req.toolsRequired()) {
                try {
                    constraint = constraints.toolCall(prompt.format().tools(), req.tools(), prompt.opensThinking());
                } catch (InvalidSchemaException e) {
                    throw new InferenceException(Kind.INVALID_REQUEST, "cannot require a tool call: " + e.getMessage(), e);
                }
            }
            int ctxLen = contextLength(runner, opts);
            checkPrompt(prompt.tokens(), runner.loaded.tokenizer(), ctxLen, runner.loaded.info().trainedContextLength());
            boolean parse = (constraint == null || req.toolsRequired()) && prompt.format().parses(!req.tools().isEmpty());
            ToolCallDecoder decoder = req.tools().isEmpty() ? null : new ToolCallDecoder(req.tools());
            boolean keepThinking = req.think() == null || req.think().enabled();
            List<String> stops = opts.stop();
            Supplier<TokenOutput> output = () -> new TokenOutput(stops, parse ? new OutputParser(prompt.format(), prompt.opensThinking(), decoder) : null,
                    keepThinking, sink);
            String conversation = req.conversation() != null ? req.conversation() : ConversationKey.ofTokens(prompt.tokens());
            Sequence sequence = new Sequence(new Sequence.Plan(prompt.tokens(), conversation, prompt.boundaries(), opts, ctxLen, constraint, output, req.topLogprobs(), req.logprobs(),
                    req.withContext(), a.loadNanos, t0, () -> release(runner, keep), thinkingBudget(think, prompt, runner.loaded.tokenizer())));
            runner.scheduler.submit(sequence, new Scheduler.Shape(ctxLen, Math.min(opts.numBatch(), ctxLen), opts.numThread()), sink);
            return sequence;
        } catch (InferenceException | RuntimeException e) {
            release(runner, keep);
            throw e;
        }
    }

    /** The budget a request set for reasoning, for a template that marks reasoning with think tags; else none. */
    private static Sequence.ThinkingBudget thinkingBudget(Think think, Prompts.Rendered prompt, Tokenizer tok) {
        if (think == null || !think.enabled() || think.budgetTokens() == 0 || !prompt.format().thinkTags()) return null;
        return new Sequence.ThinkingBudget(think.budgetTokens(), tok.encode("</think>\n\n", false, true));
    }

    /** Tokens one sequence may hold: num_ctx, within what the model was trained on. */
    private static int contextLength(ModelRunner runner, RequestOptions opts) {
        int trained = runner.loaded.info().trainedContextLength();
        return trained > 0 ? Math.min(opts.numCtx(), trained) : opts.numCtx();
    }

    private static void checkPrompt(int[] prompt, Tokenizer tok, int ctxLen, int trained) throws InferenceException {
        if (prompt.length == 0) {
            throw new InferenceException(Kind.INVALID_REQUEST, "the prompt is empty after rendering; nothing to generate from");
        }
        int vocab = tok.vocabSize();
        for (int t : prompt) {
            if (t < 0 || t >= vocab) throw new InferenceException(Kind.INVALID_REQUEST, "token " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
        if (prompt.length >= ctxLen) {
            throw new InferenceException(Kind.INVALID_REQUEST, "the prompt is " + prompt.length + " tokens but the context holds " + ctxLen
                    + "; shorten it or raise num_ctx" + (trained > 0 ? " (the model was trained on " + trained + ")" : ""));
        }
    }

    private static Generation finished(EventSink sink, DoneReason reason, long loadNanos, long totalNanos, String backend) {
        Done done = new Done(reason, new Metrics(0, 0, 0, 0, loadNanos, 0, 0, totalNanos), null, backend);
        sink.accept(done);
        CompletableFuture<Done> result = CompletableFuture.completedFuture(done);
        return new Generation() {
            @Override
            public void cancel() {
                // already done
            }

            @Override
            public CompletableFuture<Done> result() {
                return result;
            }
        };
    }

    @Override
    public QueueStatus queue() {
        int running = 0;
        int parallel = 0;
        for (ModelRunner r : runners.values()) {
            if (r.retired()) continue;
            running += r.scheduler.running();
            parallel += r.scheduler.parallel();
        }
        return new QueueStatus(queued.get(), running, parallel, maxQueue);
    }

    // --- models in memory ------------------------------------------------------------------

    private record Acquired(ModelRunner runner, long loadNanos) {}

    private Acquired acquire(ModelDescriptor d, Duration keep, RequestOptions opts) throws InferenceException {
        for (int attempt = 0; attempt < 3; attempt++) {
            Backend target = backends.choose(d);
            String key = d.name() + "@" + target.id();
            synchronized (loadLocks.computeIfAbsent(d.name(), k -> new Object())) {
                ModelRunner r = runners.get(key);
                if (r != null && r.backend == target && r.model.digest().equals(d.digest()) && r.enter()) {
                    r.keepAlive(keep);
                    retireOthers(d.name(), r);
                    return new Acquired(r, 0);
                }
                if (r != null && runners.remove(key, r)) r.retire();
                if (!backends.all().contains(target)) continue; // it left while we waited for the lock
                long t0 = System.nanoTime();
                LoadedModel loaded;
                try {
                    loaded = target.load(d, new LoadOptions(-1, true, opts.numThread()), ProgressListener.NONE);
                } catch (BackendException e) {
                    throw new InferenceException(Kind.INTERNAL, "loading " + d.name() + " on " + target.id() + " failed: " + e.getMessage(), e);
                }
                ModelRunner fresh = new ModelRunner(d, target, loaded, System.nanoTime() - t0, keep, numParallel, unifiedKv, queued, maxQueue, () -> prefixCache);
                fresh.enter();
                runners.put(key, fresh);
                retireOthers(d.name(), fresh);
                LOG.log(Level.INFO, "loaded " + d.name() + " on " + target.id() + " in " + (fresh.loadNanos / 1_000_000) + " ms");
                return new Acquired(fresh, fresh.loadNanos);
            }
        }
        throw new InferenceException(Kind.UNAVAILABLE, "backends changed while loading " + d.name() + "; try again");
    }

    private void retireOthers(String name, ModelRunner keep) {
        runners.forEach((k, r) -> {
            if (r != keep && r.model.name().equals(name) && runners.remove(k, r)) {
                LOG.log(Level.INFO, "moving " + name + " from " + r.backend.id() + " to " + keep.backend.id());
                r.retire();
            }
        });
    }

    private void release(ModelRunner runner, Duration keep) {
        runner.exit();
        if (keep.isZero()) {
            runners.values().removeIf(r -> r == runner);
            runner.retire();
        }
    }

    private void unloadExpired() {
        Instant now = Instant.now();
        runners.forEach((k, r) -> {
            if (r.expired(now) && runners.remove(k, r)) {
                LOG.log(Level.INFO, "keep_alive expired: unloading " + r.model.name());
                r.retire();
            }
        });
    }

    private Duration keepAlive(Duration requested) {
        return requested != null ? requested : defaultKeepAlive;
    }

    private ModelDescriptor resolve(String name) throws InferenceException {
        if (name == null || name.isBlank()) throw new InferenceException(Kind.INVALID_REQUEST, "model is required");
        return store.find(name).orElseThrow(() -> new InferenceException(Kind.NOT_FOUND, "model '" + name + "' not found"));
    }

    private static void rejectImages(ModelDescriptor d, boolean hasImages) throws InferenceException {
        if (hasImages) throw new InferenceException(Kind.INVALID_REQUEST, "model '" + d.name() + "' does not support images");
    }

    @Override
    public void load(String name, Duration keepAlive) throws InferenceException {
        ModelDescriptor d = resolve(name);
        Duration keep = keepAlive(keepAlive);
        release(acquire(d, keep, RequestOptions.resolve(Options.NONE, d.parameters(), defaultThreads)).runner, keep);
    }

    @Override
    public boolean unload(String name) {
        String canonical = store.find(name).map(ModelDescriptor::name).orElse(name);
        boolean any = false;
        for (var e : runners.entrySet()) {
            if (e.getValue().model.name().equals(canonical) && runners.remove(e.getKey(), e.getValue())) {
                e.getValue().retire();
                any = true;
            }
        }
        return any;
    }

    @Override
    public List<RunningModel> running() {
        List<RunningModel> out = new ArrayList<>();
        for (ModelRunner r : runners.values()) {
            if (r.retired()) continue;
            out.add(new RunningModel(r.model.name(), r.model.digest(), r.loaded.sizeBytes(), 0, facts(r.model).details(),
                    r.expiresAt(), r.contextLength(), r.backend.id(), r.backend.status().detail()));
        }
        return out;
    }

    // --- embeddings and token counts -------------------------------------------------------

    @Override
    public EmbedResult embed(EmbedRequest r) throws InferenceException {
        long t0 = System.nanoTime();
        ModelDescriptor d = resolve(r.model());
        if (r.input().isEmpty()) throw new InferenceException(Kind.INVALID_REQUEST, "input is empty");
        if (r.dimensions() != null && r.dimensions() <= 0) throw new InferenceException(Kind.INVALID_REQUEST, "dimensions must be positive");
        RequestOptions opts = RequestOptions.resolve(r.options(), d.parameters(), defaultThreads);
        Duration keep = keepAlive(r.keepAlive());
        Acquired a = acquire(d, keep, opts);
        ModelRunner runner = a.runner;
        try {
            int trained = runner.loaded.info().trainedContextLength();
            int ctxLen = trained > 0 ? Math.min(opts.numCtx(), trained) : opts.numCtx();
            List<float[]> out = new ArrayList<>();
            int promptTokens = 0;
            runner.embedLock().lock();
            try (InferenceContext ctx = runner.loaded.newContext(new ContextOptions(ctxLen, 1, ctxLen, opts.numThread(), true, false))) {
                for (String input : r.input()) {
                    int[] tokens = runner.loaded.tokenizer().encode(input, true, false);
                    if (tokens.length > ctxLen) {
                        if (!r.truncate()) throw new InferenceException(Kind.INVALID_REQUEST, "input is " + tokens.length + " tokens, longer than the context (" + ctxLen + "); set truncate true");
                        tokens = Arrays.copyOf(tokens, ctxLen);
                    }
                    if (tokens.length == 0) throw new InferenceException(Kind.INVALID_REQUEST, "an input is empty");
                    promptTokens += tokens.length;
                    ctx.memory().clear();
                    Batch batch = new Batch(tokens.length);
                    for (int i = 0; i < tokens.length; i++) batch.add(tokens[i], i, 0, true);
                    if (ctx.decode(batch) != DecodeResult.OK) throw new InferenceException(Kind.INTERNAL, "embedding decode failed");
                    out.add(normalize(ctx.embedding(0), r.dimensions()));
                }
            } catch (BackendException e) {
                throw new InferenceException(Kind.INTERNAL, e.getMessage(), e);
            } finally {
                runner.embedLock().unlock();
            }
            return new EmbedResult(d.name(), out, promptTokens, a.loadNanos, System.nanoTime() - t0);
        } finally {
            release(runner, keep);
        }
    }

    /** Unit length, as Ollama returns; with {@code dimensions}, truncated first (Matryoshka style). */
    static float[] normalize(float[] v, Integer dimensions) {
        float[] x = dimensions != null && dimensions < v.length ? Arrays.copyOf(v, dimensions) : v.clone();
        double sum = 0;
        for (float f : x) sum += f * (double) f;
        double norm = Math.sqrt(sum);
        if (norm > 0) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] / norm);
        }
        return x;
    }

    @Override
    public int countTokens(ChatRequest r) throws InferenceException {
        ModelDescriptor d = resolve(r.model());
        Duration keep = keepAlive(r.keepAlive());
        Acquired a = acquire(d, keep, RequestOptions.resolve(r.options(), d.parameters(), defaultThreads));
        try {
            return prompts.chat(r, d, a.runner.loaded.info(), a.runner.loaded.tokenizer(), r.think()).tokens().length;
        } finally {
            release(a.runner, keep);
        }
    }

    // --- the store, through the engine so front ends need one contract --------------------

    @Override
    public List<ModelSummary> models() {
        return store.list().stream().map(d -> new ModelSummary(d.name(), d.digest(), d.size(), d.modifiedAt(), facts(d).details())).toList();
    }

    private ModelFacts.Facts facts(ModelDescriptor d) {
        return facts.computeIfAbsent(d.digest() == null ? d.name() : d.digest(), k -> ModelFacts.of(d));
    }

    @Override
    public ModelDetails show(String name) throws InferenceException {
        ModelDescriptor d = resolve(name);
        ModelFacts.Facts f = facts(d);
        String template = d.template() != null ? d.template() : f.chatTemplate();
        StringBuilder params = new StringBuilder();
        new TreeMap<>(d.parameters()).forEach((k, v) -> {
            if (v instanceof List<?> l) l.forEach(x -> params.append(String.format("%-30s %s%n", k, quote(x))));
            else params.append(String.format("%-30s %s%n", k, quote(v)));
        });
        List<Message> messages = d.messages().stream().map(m -> Message.of(m.role(), m.content())).toList();
        return new ModelDetails(d.name(), modelfile(d, template), params.toString().stripTrailing(), template == null ? "" : template, d.system(),
                f.details(), f.modelInfo(), ModelFacts.capabilities(template, f.modelInfo()), d.modifiedAt(), messages, d.licenses());
    }

    /** A Modelfile that creates this model again: every setting in the order Ollama writes them, a list parameter a line per value. */
    private static String modelfile(ModelDescriptor d, String template) {
        StringBuilder m = new StringBuilder("# Modelfile generated by \"mica show\"\n");
        m.append("FROM ").append(d.model()).append('\n');
        if (template != null) m.append("TEMPLATE ").append(block(template)).append('\n');
        if (d.system() != null) m.append("SYSTEM ").append(block(d.system())).append('\n');
        // sorted: the descriptor's map has no order, and the same model should show the same text
        new TreeMap<>(d.parameters()).forEach((k, v) -> {
            for (Object value : v instanceof List<?> l ? l : List.of(v)) m.append("PARAMETER ").append(k).append(' ').append(quote(value)).append('\n');
        });
        d.licenses().forEach(license -> m.append("LICENSE ").append(block(license)).append('\n'));
        d.messages().forEach(message -> m.append("MESSAGE ").append(message.role()).append(' ').append(block(message.content())).append('\n'));
        return m.toString();
    }

    private static String block(String text) {
        return "\"\"\"" + text + "\"\"\"";
    }

    private static String quote(Object v) {
        return v instanceof String s ? "\"" + s.replace("\"", "\\\"") + "\"" : String.valueOf(v);
    }

    @Override
    public ModelSummary create(CreateRequest request, StatusListener status) throws InferenceException {
        try {
            ModelDescriptor d = store.create(request, status);
            return new ModelSummary(d.name(), d.digest(), d.size(), d.modifiedAt(), facts(d).details());
        } catch (ModelStoreException e) {
            throw translate(e);
        }
    }

    @Override
    public void copy(String source, String target) throws InferenceException {
        try {
            store.copy(source, target);
        } catch (ModelStoreException e) {
            throw translate(e);
        }
    }

    @Override
    public void delete(String name) throws InferenceException {
        unload(name);
        try {
            if (!store.delete(name)) throw new InferenceException(Kind.NOT_FOUND, "model '" + name + "' not found");
        } catch (ModelStoreException e) {
            throw translate(e);
        }
    }

    @Override
    public boolean hasBlob(String digest) {
        return store.hasBlob(digest);
    }

    @Override
    public void putBlob(String digest, InputStream content) throws InferenceException {
        try {
            store.putBlob(digest, content);
        } catch (ModelStoreException e) {
            throw translate(e);
        } catch (IOException e) {
            throw new InferenceException(Kind.INTERNAL, "blob upload failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void pull(String name, dev.mica.api.model.PullOptions options, ModelStore.PullListener listener) throws InferenceException {
        try {
            store.pull(name, options, listener);
        } catch (ModelStoreException e) {
            throw translate(e);
        }
    }

    private static InferenceException translate(ModelStoreException e) {
        Kind kind = switch (e.kind()) {
            case NOT_FOUND -> Kind.NOT_FOUND;
            case INVALID, CONFLICT -> Kind.INVALID_REQUEST;
            case IO -> Kind.INTERNAL;
        };
        return new InferenceException(kind, e.getMessage(), e);
    }

    @Override
    public List<BackendReport> backends() {
        List<BackendReport> out = new ArrayList<>();
        for (Backend b : backends.all()) {
            BackendStatus s = b.status();
            List<String> loaded = runners.values().stream().filter(r -> r.backend == b && !r.retired()).map(r -> r.model.name()).toList();
            out.add(new BackendReport(b.id(), s.available(), s.detail(), s.available() ? b.devices() : List.of(), loaded));
        }
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
