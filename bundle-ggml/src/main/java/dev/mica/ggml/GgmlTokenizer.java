package dev.mica.ggml;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.mica.api.backend.Tokenizer;
import dev.mica.ggml.ffm.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The model's vocabulary through libllama, which is thread-safe for these calls. Every call holds
 * the model's read lock, so the model cannot be freed underneath it.
 */
final class GgmlTokenizer implements Tokenizer {
    private final GgmlModel model;
    private final Llama llama;
    private final MemorySegment vocab;
    private final int size;
    /** Pieces never change: each is fetched from libllama once. */
    private final AtomicReferenceArray<byte[]> pieces;

    /** Why libllama would assert when tokenizing: with special tokens, or at all; null if it would not. */
    private final String cannotAddSpecial;
    private final String cannotTokenize;

    // enum llama_vocab_type
    private static final int NONE = 0, SPM = 1, WPM = 3, UGM = 4;

    GgmlTokenizer(GgmlModel model, Llama llama, MemorySegment vocab) {
        this.model = model;
        this.llama = llama;
        this.vocab = vocab;
        this.size = llama.vocabNTokens(vocab);
        this.pieces = new AtomicReferenceArray<>(size);
        int type = llama.vocabType(vocab);
        this.cannotTokenize = type == NONE ? "the model has no vocabulary" : null;
        this.cannotAddSpecial = missingSpecialToken(llama, vocab, type);
    }

    /**
     * A GGUF may ask for BOS/EOS (or, for WordPiece, CLS/SEP) without defining them; libllama then
     * asserts while adding them. Found once here so encode can refuse instead.
     */
    private static String missingSpecialToken(Llama llama, MemorySegment vocab, int type) {
        boolean noBos = llama.vocabBos(vocab) == Llama.TOKEN_NULL;
        boolean noEos = llama.vocabEos(vocab) == Llama.TOKEN_NULL;
        if (type == SPM || type == UGM) {
            if (llama.vocabGetAddBos(vocab) && noBos) {
                return "the vocabulary asks for a BOS token but defines none";
            }
            if (llama.vocabGetAddEos(vocab) && noEos) {
                return "the vocabulary asks for an EOS token but defines none";
            }
        } else if (type == WPM && (noBos || llama.vocabSep(vocab) == Llama.TOKEN_NULL)) {
            return "the WordPiece vocabulary lacks its CLS or SEP token";
        }
        return null;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        if (cannotTokenize != null) {
            throw new IllegalStateException(cannotTokenize);
        }
        if (addSpecial && cannotAddSpecial != null) {
            throw new IllegalArgumentException(cannotAddSpecial + ": tokenize without special tokens");
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        try (var _ = model.reading(); Arena arena = Arena.ofConfined()) {
            MemorySegment input = arena.allocate(utf8.length + 1L);
            MemorySegment.copy(utf8, 0, input, JAVA_BYTE, 0, utf8.length);
            // A token covers at least one byte, plus the BOS/EOS the vocabulary may add.
            int capacity = utf8.length + 4;
            MemorySegment tokens = arena.allocate(JAVA_INT, capacity);
            int n = llama.tokenize(vocab, input, utf8.length, tokens, capacity, addSpecial, parseSpecial);
            if (n < 0 && n != Integer.MIN_VALUE) {
                capacity = -n;
                tokens = arena.allocate(JAVA_INT, capacity);
                n = llama.tokenize(vocab, input, utf8.length, tokens, capacity, addSpecial, parseSpecial);
            }
            if (n < 0) {
                throw new IllegalArgumentException("text of " + utf8.length + " bytes cannot be tokenized (too many tokens)");
            }
            return tokens.asSlice(0, (long) n * Integer.BYTES).toArray(JAVA_INT);
        }
    }

    /**
     * The token's bytes, special tokens rendered as their text: the engine needs to see markers such
     * as {@code <think>} or {@code <|channel|>} to parse a model's output.
     */
    @Override
    public byte[] piece(int token) {
        checkToken(token);
        byte[] piece = pieces.get(token);
        if (piece == null) {
            piece = fetchPiece(token);
            pieces.compareAndSet(token, null, piece);
        }
        return piece.clone();
    }

    private byte[] fetchPiece(int token) {
        try (var _ = model.reading(); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            int n = llama.tokenToPiece(vocab, token, buf, (int) buf.byteSize(), 0, true);
            if (n < 0) {
                buf = arena.allocate(-n);
                n = llama.tokenToPiece(vocab, token, buf, (int) buf.byteSize(), 0, true);
            }
            return n <= 0 ? new byte[0] : buf.asSlice(0, n).toArray(JAVA_BYTE);
        }
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        if (token < 0 || token >= size) {
            return false;
        }
        try (var _ = model.reading()) {
            return llama.vocabIsEog(vocab, token);
        }
    }

    @Override
    public boolean isControl(int token) {
        if (token < 0 || token >= size) {
            return false;
        }
        try (var _ = model.reading()) {
            return llama.vocabIsControl(vocab, token);
        }
    }

    @Override
    public int vocabSize() {
        return size;
    }

    /**
     * llama.cpp's own detokenizer, which also undoes what tokenizing added: the leading space of
     * SentencePiece vocabularies, and the spaces some vocabularies put before punctuation.
     */
    @Override
    public String decode(int[] tokens) {
        for (int t : tokens) {
            checkToken(t);
        }
        try (var _ = model.reading(); Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocateFrom(JAVA_INT, tokens);
            int capacity = Math.max(16, tokens.length * 8);
            MemorySegment text = arena.allocate(capacity);
            int n = llama.detokenize(vocab, ids, tokens.length, text, capacity, false, true);
            if (n < 0) {
                capacity = -n;
                text = arena.allocate(capacity);
                n = llama.detokenize(vocab, ids, tokens.length, text, capacity, false, true);
            }
            if (n < 0) {
                throw new IllegalArgumentException(tokens.length + " tokens cannot be detokenized");
            }
            return new String(text.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** libllama's built-in formatter, which recognises the model's template by its markers. */
    @Override
    public Optional<String> applyBuiltinChatTemplate(List<ChatTurn> turns, boolean addAssistant) {
        try (var _ = model.reading()) {
            return ChatTemplates.apply(llama, model.info().chatTemplate(), turns, addAssistant);
        }
    }

    /** libllama looks token ids up with {@code std::vector::at}: an unknown id would end the process. */
    void checkToken(int token) {
        if (token < 0 || token >= size) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + size + ")");
        }
    }
}
