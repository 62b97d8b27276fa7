package dev.mica.tokenizer;

import dev.mica.api.backend.Tokenizer;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Test helper: a small GGUF vocabulary written with mica's GGUF writer and read back. */
final class SyntheticVocab {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6, UNDEFINED = 0;

    private final List<String> texts = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();
    private final String model;
    private Consumer<GgufWriter> extra = w -> { };

    SyntheticVocab(String model) {
        this.model = model;
    }

    /** Adds a token; returns its id. */
    int add(String text, int type, float score) {
        texts.add(text);
        types.add(type);
        scores.add(score);
        return texts.size() - 1;
    }

    int add(String text) {
        return add(text, NORMAL, 0f);
    }

    SyntheticVocab merge(String merge) {
        merges.add(merge);
        return this;
    }

    SyntheticVocab metadata(Consumer<GgufWriter> extra) {
        Consumer<GgufWriter> before = this.extra;
        this.extra = w -> {
            before.accept(w);
            extra.accept(w);
        };
        return this;
    }

    /** The byte tokens "&lt;0x00&gt;" to "&lt;0xFF&gt;" (SentencePiece's byte fallback). */
    SyntheticVocab bytes() {
        for (int b = 0; b < 256; b++) {
            add(String.format("<0x%02X>", b), BYTE, 0f);
        }
        return this;
    }

    GgufFile gguf() {
        try {
            Path file = Files.createTempFile("vocab", ".gguf");
            try {
                GgufWriter w = new GgufWriter();
                w.putString("general.architecture", "llama");
                w.putString("tokenizer.ggml.model", model);
                w.putStrings("tokenizer.ggml.tokens", texts);
                float[] s = new float[scores.size()];
                for (int i = 0; i < s.length; i++) {
                    s[i] = scores.get(i);
                }
                w.putFloats("tokenizer.ggml.scores", s);
                w.putInts("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray());
                if (!merges.isEmpty()) {
                    w.putStrings("tokenizer.ggml.merges", merges);
                }
                extra.accept(w);
                w.write(file);
                return GgufFile.read(file);
            } finally {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Tokenizer tokenizer() {
        return GgufTokenizers.fromGguf(gguf());
    }
}
