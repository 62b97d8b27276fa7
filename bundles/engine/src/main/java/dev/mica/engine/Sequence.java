package dev.mica.engine;

import dev.mica.api.backend.BackendException;
import dev.mica.api.cache.ContextCache;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.Tokenizer;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.GenerationEvent.Logprob;
import dev.mica.api.inference.Metrics;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One generation, from the queue to its Done event: what was asked (prompt tokens, options, the
 * output constraint, how to read the output) and where it stands (its sequence in the context,
 * the tokens decoded, the sampler). The {@link Scheduler} moves it along one batch at a time; it
 * is also the {@link Generation} handle the client holds.
 */
final class Sequence implements Generation {
    /**
     * What a generation needs besides its prompt, all decided on the caller's thread.
     * {@code release} gives back what the request holds (the model, for keep-alive); the scheduler
     * runs it when the generation is done, before the client hears of the end.
     */
    record Plan(
            int[] prompt,
            String conversation,
            int[] boundaries,
            RequestOptions options,
            int contextLength,
            Constraint constraint,
            Supplier<TokenOutput> output,
            int topLogprobs,
            boolean logprobs,
            boolean withContext,
            long loadNanos,
            long startNanos,
            Runnable release,
            ThinkingBudget thinkingBudget) {}

    /**
     * A cap on reasoning: after {@code tokens} tokens inside the think block, the engine writes
     * {@code close} (the template's closing tag) in the model's place, so the answer begins.
     */
    record ThinkingBudget(int tokens, int[] close) {}

    final Plan plan;
    private final CompletableFuture<Done> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    /** Tokens of prompt and answer; [0, length) are decoded into the sequence's memory. */
    private final int[] tokens;
    private int length;
    /** The last token sampled, not decoded yet (it goes into the next batch); -1 before the first. */
    private int pending = -1;
    int slot = -1;
    /** Where the prefix cache put it; null until admitted. */
    ContextCache.Placement placement;
    /** The next of the placement's checkpoints still ahead. */
    private int checkpoint;
    private int reused;
    private int generated;
    private int thinkingTokens;
    /** Tokens written in the model's place (a think block closed at its budget), and the next of them. */
    private int[] forced;
    private int forcedAt;
    private Sampler sampler;
    private TokenOutput output;
    private long admittedAt;
    private long firstTokenAt;
    /** The batch row whose logits this sequence samples from after the next decode; -1 for none. */
    int row = -1;

    Sequence(Plan plan) {
        this.plan = plan;
        this.tokens = Arrays.copyOf(plan.prompt(), plan.contextLength());
    }

    // --- Generation ------------------------------------------------------------------------

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public CompletableFuture<Done> result() {
        return result;
    }

    @Override
    public int promptTokens() {
        return plan.prompt().length;
    }

    boolean cancelled() {
        return cancelled;
    }

    // --- on the scheduler thread ------------------------------------------------------------

    /**
     * Takes its sequence, of which the first {@code reused} prompt tokens are already in memory,
     * and builds its sampler; the recent prompt tokens feed the repetition penalties.
     */
    void start(InferenceContext ctx, ContextCache.Placement placement) throws BackendException {
        this.placement = placement;
        this.slot = placement.sequence();
        this.reused = placement.reused();
        this.length = reused;
        int[] at = placement.checkpoints();
        while (checkpoint < at.length && at[checkpoint] <= length) checkpoint++;
        this.admittedAt = System.nanoTime();
        this.sampler = ctx.sampler(plan.options().sampling(), plan.constraint());
        int[] prompt = plan.prompt();
        int lastN = plan.options().sampling().repeatLastN();
        int history = lastN < 0 ? prompt.length : Math.min(prompt.length, lastN);
        for (int i = prompt.length - history; i < prompt.length; i++) sampler.accept(prompt[i]);
        this.output = plan.output().get();
    }

    boolean prefilling() {
        return pending < 0;
    }

    /** The next prompt position to decode while prefilling. */
    int prefillPosition() {
        return length;
    }

    /**
     * Where the current prompt chunk must end so that the cache can take a checkpoint there;
     * the prompt's length when no checkpoint is ahead.
     */
    int prefillLimit() {
        int[] at = placement.checkpoints();
        return checkpoint < at.length && at[checkpoint] < promptLength() ? at[checkpoint] : promptLength();
    }

    /** True once, when the prefill has just reached a checkpoint; moves on to the next. */
    boolean atCheckpoint() {
        int[] at = placement.checkpoints();
        if (checkpoint >= at.length || length != at[checkpoint] || length >= promptLength()) return false;
        checkpoint++;
        return true;
    }

    /** Nanoseconds from the request to its first token; 0 before it. */
    long timeToFirstToken() {
        return firstTokenAt == 0 ? 0 : firstTokenAt - plan.startNanos();
    }

    int prompt(int position) {
        return plan.prompt()[position];
    }

    int promptLength() {
        return plan.prompt().length;
    }

    /** While decoding: the sampled token that goes into the next batch, at {@link #position()}. */
    int pendingToken() {
        return pending;
    }

    int position() {
        return length;
    }

    /** {@code n} more tokens of this sequence were decoded. */
    void decoded(int n) {
        if (pending >= 0) tokens[length] = pending;
        length += n;
    }

    /**
     * Samples the next token from {@code row}'s logits and sends what it makes; returns the reason
     * to stop, or null to go on.
     */
    DoneReason sample(InferenceContext ctx, Tokenizer tok) {
        int token;
        if (forced != null) {
            token = forced[forcedAt++];
            sampler.force(token);
            if (forcedAt == forced.length) forced = null;
        } else {
            token = sampler.sample(row);
            ThinkingBudget budget = plan.thinkingBudget();
            if (budget != null && output.thinking() && ++thinkingTokens == budget.tokens()) forced = budget.close();
        }
        if (firstTokenAt == 0) firstTokenAt = System.nanoTime();
        if (tok.isEndOfGeneration(token)) return DoneReason.STOP;
        generated++;
        Logprob lp = plan.logprobs() ? Logprobs.of(ctx.logits(row), tok.vocabSize(), token, plan.topLogprobs(), tok) : null;
        output.token(tok.isControl(token) ? new byte[0] : tok.piece(token), lp);
        tokens[length] = token;
        if (output.stopped()) return DoneReason.STOP;
        if (generated >= limit()) return DoneReason.LENGTH;
        pending = token;
        return null;
    }

    /** Most tokens to generate: num_predict, and never past the context. */
    private int limit() {
        int room = plan.contextLength() - plan.prompt().length;
        int n = plan.options().numPredict();
        return n < 0 ? room : Math.min(n, room);
    }

    /** Ends the generation: flushes the output, frees the sampler, builds the Done event. */
    Done finish(DoneReason reason, String backend) {
        if (output != null) output.finish();
        if (sampler != null) sampler.close();
        sampler = null;
        long now = System.nanoTime();
        long promptNanos = admittedAt == 0 ? 0 : (firstTokenAt == 0 ? now : firstTokenAt) - admittedAt;
        long evalNanos = firstTokenAt == 0 ? 0 : now - firstTokenAt;
        int[] prompt = plan.prompt();
        Metrics m = new Metrics(prompt.length, admittedAt == 0 ? 0 : prompt.length - reused, reused, generated, plan.loadNanos(),
                promptNanos, evalNanos, now - plan.startNanos());
        int[] context = null;
        if (plan.withContext()) {
            // the last sampled token is part of the answer even when the length limit kept it from being decoded
            int n = length + (reason == DoneReason.LENGTH && generated > 0 ? 1 : 0);
            context = Arrays.copyOf(tokens, Math.min(n, tokens.length));
        }
        return new Done(reason, m, context, backend, reason == DoneReason.STOP && output != null ? output.stopSequence() : null);
    }

    /** Tokens the sequence's memory holds now. */
    int[] tokens() {
        return tokens;
    }

    int length() {
        return length;
    }

    void complete(Done done) {
        result.complete(done);
    }

    void fail(Throwable error) {
        if (sampler != null) sampler.close();
        sampler = null;
        result.completeExceptionally(error);
    }

    @Override
    public String toString() {
        return "Sequence[slot " + slot + ", " + length + " tokens" + (cancelled ? ", cancelled]" : "]");
    }
}
