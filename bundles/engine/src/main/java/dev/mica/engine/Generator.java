package dev.mica.engine;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Tokenizer;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.Inference.EventSink;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.InferenceException.Kind;
import dev.mica.api.inference.Metrics;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * One generation, read top to bottom: reuse the cached prefix, prefill the rest of the prompt,
 * then sample and decode one token at a time until an end token, a stop sequence, the length
 * limit, or a cancel.
 */
final class Generator {
    private static final int SEQ = 0;

    private Generator() {}

    static Done run(ModelRunner runner, int[] prompt, RequestOptions opts, BooleanSupplier cancelled, EventSink sink, long loadNanos, long startNanos, boolean withContext)
            throws InferenceException {
        if (prompt.length == 0) {
            throw new InferenceException(Kind.INVALID_REQUEST, "the prompt is empty after rendering; nothing to generate from");
        }
        Tokenizer tok = runner.loaded.tokenizer();
        int vocab = tok.vocabSize();
        for (int t : prompt) {
            if (t < 0 || t >= vocab) throw new InferenceException(Kind.INVALID_REQUEST, "token " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
        runner.lock().lock();
        try {
            int trained = runner.loaded.info().trainedContextLength();
            int ctxLen = trained > 0 ? Math.min(opts.numCtx(), trained) : opts.numCtx();
            if (prompt.length >= ctxLen) {
                throw new InferenceException(Kind.INVALID_REQUEST, "the prompt is " + prompt.length + " tokens but the context holds " + ctxLen
                        + "; shorten it or raise num_ctx" + (trained > 0 ? " (the model was trained on " + trained + ")" : ""));
            }
            InferenceContext ctx = runner.context(new ContextOptions(ctxLen, 1, Math.min(opts.numBatch(), ctxLen), opts.numThread(), false, true));
            int reused = reusePrefix(runner, ctx.memory(), prompt);

            long promptStart = System.nanoTime();
            Batch batch = new Batch(ctx.batchCapacity());
            for (int pos = reused; pos < prompt.length; ) {
                batch.clear();
                int end = Math.min(prompt.length, pos + batch.capacity());
                for (; pos < end; pos++) {
                    batch.add(prompt[pos], pos, SEQ, pos == prompt.length - 1);
                }
                if (!decode(ctx, batch, runner, prompt, reused, pos - batch.size())) {
                    return done(DoneReason.CANCELLED, prompt, reused, 0, loadNanos, System.nanoTime() - promptStart, 0, startNanos, null, runner);
                }
                if (cancelled.getAsBoolean()) {
                    runner.cachedTokens(prompt, pos);
                    return done(DoneReason.CANCELLED, prompt, reused, 0, loadNanos, System.nanoTime() - promptStart, 0, startNanos, null, runner);
                }
            }
            long promptNanos = System.nanoTime() - promptStart;

            long evalStart = System.nanoTime();
            int[] all = Arrays.copyOf(prompt, ctxLen);
            int length = prompt.length;
            int limit = opts.numPredict() < 0 ? ctxLen - prompt.length : Math.min(opts.numPredict(), ctxLen - prompt.length);
            TextAssembler text = new TextAssembler(opts.stop());
            DoneReason reason = DoneReason.LENGTH;
            int generated = 0;
            int row = batch.size() - 1;
            try (Sampler sampler = ctx.sampler(opts.sampling(), null)) {
                int history = opts.sampling().repeatLastN() < 0 ? prompt.length : Math.min(prompt.length, opts.sampling().repeatLastN());
                for (int i = prompt.length - history; i < prompt.length; i++) sampler.accept(prompt[i]);
                while (generated < limit) {
                    if (cancelled.getAsBoolean()) {
                        reason = DoneReason.CANCELLED;
                        break;
                    }
                    int token = sampler.sample(row);
                    if (tok.isEndOfGeneration(token)) {
                        reason = DoneReason.STOP;
                        break;
                    }
                    generated++;
                    String piece = tok.isControl(token) ? "" : text.add(tok.piece(token));
                    if (!piece.isEmpty()) sink.accept(new GenerationEvent.Token(piece, null));
                    if (text.stopped()) {
                        reason = DoneReason.STOP;
                        break;
                    }
                    all[length] = token;
                    if (generated == limit) break;
                    batch.clear();
                    row = batch.add(token, length, SEQ, true);
                    if (!decode(ctx, batch, runner, all, reused, length)) {
                        reason = DoneReason.CANCELLED;
                        break;
                    }
                    length++;
                }
            } catch (BackendException e) {
                throw new InferenceException(Kind.INTERNAL, e.getMessage(), e);
            }
            String rest = text.finish();
            if (!rest.isEmpty()) sink.accept(new GenerationEvent.Token(rest, null));
            runner.cachedTokens(all, length);
            int[] context = withContext ? Arrays.copyOf(all, Math.min(length + (reason == DoneReason.LENGTH && generated > 0 ? 1 : 0), all.length)) : null;
            return done(reason, prompt, reused, generated, loadNanos, promptNanos, System.nanoTime() - evalStart, startNanos, context, runner);
        } catch (BackendException e) {
            throw new InferenceException(Kind.INTERNAL, e.getMessage(), e);
        } finally {
            runner.lock().unlock();
        }
    }

    /**
     * Keeps the longest common prefix of what sequence 0 holds and the new prompt, so a follow-up
     * turn of a conversation computes only its new tokens. At least one prompt token is always
     * decoded, since its logits start the answer.
     */
    private static int reusePrefix(ModelRunner runner, SequenceMemory memory, int[] prompt) {
        int[] cached = runner.cachedTokens();
        int common = 0;
        int max = Math.min(cached.length, prompt.length - 1);
        while (common < max && cached[common] == prompt[common]) common++;
        if (common > 0 && common < cached.length && !memory.removeRange(SEQ, common, -1)) {
            common = 0;
        }
        if (common == 0) {
            memory.clear();
        }
        runner.cachedTokens(prompt, common);
        return common;
    }

    /** Decodes; false when aborted. What the context holds is recorded either way. */
    private static boolean decode(InferenceContext ctx, Batch batch, ModelRunner runner, int[] tokens, int reused, int firstPos) throws BackendException, InferenceException {
        DecodeResult r = ctx.decode(batch);
        switch (r) {
            case OK -> {
                return true;
            }
            case ABORTED -> {
                // an aborted batch may have been partly applied: forget the cache rather than trust it
                ctx.memory().clear();
                runner.cachedTokens(tokens, 0);
                return false;
            }
            case NO_SPACE -> throw new InferenceException(Kind.INTERNAL, "the context ran out of KV cells at position " + firstPos);
            default -> throw new IllegalStateException(r.toString());
        }
    }

    private static Done done(DoneReason reason, int[] prompt, int reused, int generated, long loadNanos, long promptNanos, long evalNanos, long startNanos, int[] context, ModelRunner runner) {
        Metrics m = new Metrics(prompt.length, prompt.length - reused, reused, generated, loadNanos, promptNanos, evalNanos, System.nanoTime() - startNanos);
        return new Done(reason, m, context, runner.backend.id());
    }
}
