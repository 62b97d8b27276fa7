package dev.mica.ggml;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.ggml.ffm.Layouts;
import dev.mica.ggml.ffm.Llama;
import dev.mica.ggml.ffm.Natives;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A libllama sampler chain (penalties, top-k, typical, top-p, min-p, temperature, then a seeded
 * draw, or greedy), optionally constrained by a GBNF grammar.
 *
 * <p>The grammar sampler is kept out of the chain. In libllama a grammar that is handed a token it
 * does not allow throws a C++ exception through the C API (the process ends), and accepting an
 * end-of-generation token before the grammar is complete aborts. So, as llama.cpp's own common
 * sampler does, a token is first drawn without the grammar and kept only if the grammar allows it
 * (checked on a one-candidate array); otherwise the grammar filters all candidates and the chain
 * draws again. Only tokens the grammar allowed ever reach it. Tokens with bytes that never occur in
 * UTF-8 are refused as well: libllama's grammar decodes UTF-8 leniently and would take them.
 */
final class GgmlSampler implements Sampler {
    private final GgmlContext context;
    private final Llama llama;
    private final Arena arena;
    private final MemorySegment chain;
    /** NULL without a constraint. */
    private final MemorySegment grammar;
    /** Candidates for the grammar path: n_vocab llama_token_data, and the array struct over them. */
    private final MemorySegment candidates;
    private final MemorySegment candidateArray;
    /** One candidate, to ask the grammar about a single token. */
    private final MemorySegment probe;
    private final MemorySegment probeArray;
    private final int vocabSize;
    /** With a grammar: tokens that cannot be UTF-8 text ({@link GgmlModel#nonUtf8Tokens()}), never sampled. */
    private final boolean[] nonUtf8;
    private boolean closed;

    private GgmlSampler(GgmlContext context, Llama llama, Arena arena, MemorySegment chain, MemorySegment grammar) {
        this.context = context;
        this.llama = llama;
        this.arena = arena;
        this.chain = chain;
        this.grammar = grammar;
        this.vocabSize = context.vocabSize();
        if (grammar.address() != 0) {
            this.candidates = arena.allocate(Layouts.TOKEN_DATA, vocabSize);
            this.candidateArray = arena.allocate(Layouts.TOKEN_DATA_ARRAY);
            this.probe = arena.allocate(Layouts.TOKEN_DATA);
            this.probeArray = arena.allocate(Layouts.TOKEN_DATA_ARRAY);
            this.nonUtf8 = context.model().nonUtf8Tokens();
        } else {
            this.candidates = this.candidateArray = this.probe = this.probeArray = MemorySegment.NULL;
            this.nonUtf8 = null;
        }
    }

    /** Builds the chain; called by the context under its lock and the model's read lock. */
    static GgmlSampler create(GgmlContext context, Llama llama, SamplingParams params, Constraint constraint)
            throws BackendException {
        params.requireUsable();
        Arena arena = Arena.ofShared();
        MemorySegment chain = MemorySegment.NULL;
        MemorySegment grammar = MemorySegment.NULL;
        try {
            chain = llama.samplerChainInit(llama.samplerChainDefaultParams(arena));
            int vocabSize = context.vocabSize();
            boolean penalize = params.repeatLastN() != 0 && (params.repeatPenalty() != 1f
                    || params.frequencyPenalty() != 0f || params.presencePenalty() != 0f);
            if (penalize) {
                // Ollama's repeat_last_n of -1 means the whole context.
                int lastN = params.repeatLastN() < 0 ? context.contextLength() : params.repeatLastN();
                llama.samplerChainAdd(chain, llama.samplerInitPenalties(vocabSize, lastN, params.repeatPenalty(),
                        params.frequencyPenalty(), params.presencePenalty()));
            }
            if (params.temperature() <= 0f) {
                llama.samplerChainAdd(chain, llama.samplerInitGreedy());
            } else {
                if (params.topK() > 0) {
                    llama.samplerChainAdd(chain, llama.samplerInitTopK(params.topK()));
                }
                if (params.typicalP() > 0f && params.typicalP() < 1f) {
                    llama.samplerChainAdd(chain, llama.samplerInitTypical(params.typicalP(), 1));
                }
                if (params.topP() < 1f) {
                    llama.samplerChainAdd(chain, llama.samplerInitTopP(params.topP(), 1));
                }
                if (params.minP() > 0f) {
                    llama.samplerChainAdd(chain, llama.samplerInitMinP(params.minP(), 1));
                }
                llama.samplerChainAdd(chain, llama.samplerInitTemp(params.temperature()));
                int seed = params.seed() == SamplingParams.RANDOM_SEED ? Llama.DEFAULT_SEED : (int) params.seed();
                llama.samplerChainAdd(chain, llama.samplerInitDist(seed));
            }
            if (constraint instanceof Constraint.Grammar(String gbnf, String root)) {
                Natives.clearNativeErrors();
                grammar = llama.samplerInitGrammar(context.model().vocab(), arena.allocateFrom(gbnf),
                        arena.allocateFrom(root == null || root.isBlank() ? "root" : root));
                if (grammar.address() == 0) {
                    throw new BackendException(Natives.withNativeErrors("invalid GBNF grammar"));
                }
            }
            return new GgmlSampler(context, llama, arena, chain, grammar);
        } catch (BackendException | RuntimeException e) {
            if (grammar.address() != 0) {
                llama.samplerFree(grammar);
            }
            if (chain.address() != 0) {
                llama.samplerFree(chain);
            }
            arena.close();
            throw e;
        }
    }

    @Override
    public int sample(int batchRow) {
        synchronized (context.lock()) {
            ensureOpen();
            context.checkOutputRow(batchRow);
            MemorySegment ctx = context.handle();
            if (grammar.address() == 0) {
                return llama.samplerSample(chain, ctx, batchRow);
            }
            MemorySegment logits = context.logits(batchRow);
            fillCandidates(logits);
            llama.samplerApply(chain, candidateArray);
            int token = selected(false);
            if (nonUtf8[token] || !grammarAllows(token)) {
                fillCandidates(logits);
                excludeNonUtf8();
                llama.samplerApply(grammar, candidateArray);
                if (!anyCandidateLeft()) {
                    throw new IllegalStateException("the grammar allows no token here");
                }
                llama.samplerApply(chain, candidateArray);
                token = selected(true);
            }
            llama.samplerAccept(grammar, token);
            llama.samplerAccept(chain, token);
            return token;
        }
    }

    /** Feeds a prompt token into the chain's history (repetition penalties); the grammar does not describe the prompt. */
    @Override
    public void accept(int token) {
        synchronized (context.lock()) {
            ensureOpen();
            checkToken(token);
            llama.samplerAccept(chain, token);
        }
    }

    /** An answer token the engine wrote itself: the grammar moves over it too, where it allows it. */
    @Override
    public void force(int token) {
        synchronized (context.lock()) {
            ensureOpen();
            checkToken(token);
            llama.samplerAccept(chain, token);
            if (grammar.address() != 0 && !nonUtf8[token] && grammarAllows(token)) llama.samplerAccept(grammar, token);
        }
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + vocabSize + ")");
        }
    }

    @Override
    public void reset() {
        synchronized (context.lock()) {
            ensureOpen();
            llama.samplerReset(chain);
            if (grammar.address() != 0) {
                llama.samplerReset(grammar);
            }
        }
    }

    @Override
    public void close() {
        synchronized (context.lock()) {
            if (closed) {
                return;
            }
            closed = true;
            llama.samplerFree(chain);
            if (grammar.address() != 0) {
                llama.samplerFree(grammar);
            }
            arena.close();
        }
        context.forget(this);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("sampler is closed");
        }
        context.ensureOpen();
    }

    private void fillCandidates(MemorySegment logits) {
        long stride = Layouts.TOKEN_DATA.byteSize();
        for (int t = 0; t < vocabSize; t++) {
            long at = t * stride;
            candidates.set(JAVA_INT, at + Layouts.TOKEN_DATA_ID, t);
            candidates.set(JAVA_FLOAT, at + Layouts.TOKEN_DATA_LOGIT, logits.getAtIndex(JAVA_FLOAT, t));
            candidates.set(JAVA_FLOAT, at + Layouts.TOKEN_DATA_P, 0f);
        }
        Layouts.TDA_DATA.set(candidateArray, 0L, candidates);
        Layouts.TDA_SIZE.set(candidateArray, 0L, (long) vocabSize);
        Layouts.TDA_SELECTED.set(candidateArray, 0L, -1L);
        Layouts.TDA_SORTED.set(candidateArray, 0L, false);
    }

    /**
     * The token the chain selected. Samplers may have replaced the data pointer and shrunk the size,
     * so both are read back. With {@code mustBeAllowed}, a selected token the grammar had ruled out
     * (its logit at -inf) is refused rather than fed to the grammar.
     */
    private int selected(boolean mustBeAllowed) {
        long size = (long) Layouts.TDA_SIZE.get(candidateArray, 0L);
        long index = (long) Layouts.TDA_SELECTED.get(candidateArray, 0L);
        if (index < 0 || index >= size) {
            throw new IllegalStateException("the sampler chain selected no token");
        }
        MemorySegment data = ((MemorySegment) Layouts.TDA_DATA.get(candidateArray, 0L))
                .reinterpret(size * Layouts.TOKEN_DATA.byteSize());
        long at = index * Layouts.TOKEN_DATA.byteSize();
        if (mustBeAllowed && data.get(JAVA_FLOAT, at + Layouts.TOKEN_DATA_LOGIT) == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("the sampler chain selected a token the grammar forbids");
        }
        return data.get(JAVA_INT, at + Layouts.TOKEN_DATA_ID);
    }

    private boolean grammarAllows(int token) {
        probe.set(JAVA_INT, Layouts.TOKEN_DATA_ID, token);
        probe.set(JAVA_FLOAT, Layouts.TOKEN_DATA_LOGIT, 0f);
        probe.set(JAVA_FLOAT, Layouts.TOKEN_DATA_P, 0f);
        Layouts.TDA_DATA.set(probeArray, 0L, probe);
        Layouts.TDA_SIZE.set(probeArray, 0L, 1L);
        Layouts.TDA_SELECTED.set(probeArray, 0L, -1L);
        Layouts.TDA_SORTED.set(probeArray, 0L, false);
        llama.samplerApply(grammar, probeArray);
        return probe.get(JAVA_FLOAT, Layouts.TOKEN_DATA_LOGIT) != Float.NEGATIVE_INFINITY;
    }

    private void excludeNonUtf8() {
        long stride = Layouts.TOKEN_DATA.byteSize();
        for (int t = 0; t < vocabSize; t++) {
            if (nonUtf8[t]) candidates.set(JAVA_FLOAT, t * stride + Layouts.TOKEN_DATA_LOGIT, Float.NEGATIVE_INFINITY);
        }
    }

    private boolean anyCandidateLeft() {
        long stride = Layouts.TOKEN_DATA.byteSize();
        for (int t = 0; t < vocabSize; t++) {
            if (candidates.get(JAVA_FLOAT, t * stride + Layouts.TOKEN_DATA_LOGIT) != Float.NEGATIVE_INFINITY) {
                return true;
            }
        }
        return false;
    }
}
