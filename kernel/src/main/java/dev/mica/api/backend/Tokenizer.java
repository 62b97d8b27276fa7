package dev.mica.api.backend;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** The model's vocabulary. Thread-safe. */
public interface Tokenizer {
    /**
     * @param addSpecial add BOS/EOS as the model's vocabulary asks
     * @param parseSpecial treat special-token text (e.g. {@code <|im_start|>}) as the special token
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The raw bytes of one token. A multi-byte UTF-8 character may be split over tokens. */
    byte[] piece(int token);

    /** True for tokens that end generation (EOS, EOT, end-of-turn markers). */
    boolean isEndOfGeneration(int token);

    /**
     * True for control tokens (BOS, turn markers): they steer the model and are not shown as
     * answer text. User-defined markers such as {@code <think>} are not control tokens.
     */
    default boolean isControl(int token) {
        return false;
    }

    int vocabSize();

    /** One turn of a chat, as {@link #applyBuiltinChatTemplate} takes it. */
    record ChatTurn(String role, String content) {}

    /**
     * The chat formatted by the backend's own formatter for this model's chat template (libllama
     * knows about 50 template families by their markers), as Hugging Face tokenizers carry
     * {@code apply_chat_template}. The engine renders templates itself and asks for this only when
     * it cannot; empty when the backend has no formatter or does not recognise the template.
     */
    default Optional<String> applyBuiltinChatTemplate(List<ChatTurn> turns, boolean addAssistant) {
        return Optional.empty();
    }

    /** Decodes tokens to text; incomplete UTF-8 at the end is replaced. */
    default String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int t : tokens) {
            out.writeBytes(piece(t));
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
