package dev.mica.ggml;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.mica.api.backend.Tokenizer;
import dev.mica.ggml.ffm.Layouts;
import dev.mica.ggml.ffm.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * libllama's built-in chat formatter ({@code llama_chat_apply_template}). It has no Jinja engine:
 * it recognizes about 50 template families by markers in the template text (or by name, such as
 * "chatml" or "llama3"). mica renders the model's Jinja template in Java; this is the fallback.
 */
final class ChatTemplates {
    private ChatTemplates() {}

    /**
     * Formats messages with a template (its Jinja text, or a built-in name). Empty when libllama does
     * not recognize the template.
     */
    static Optional<String> apply(Llama llama, String template, List<Tokenizer.ChatTurn> messages, boolean addAssistant) {
        if (template == null) {
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chat = arena.allocate(Layouts.CHAT_MESSAGE, Math.max(1, messages.size()));
            long size = Layouts.CHAT_MESSAGE.byteSize();
            int estimate = 0;
            for (int i = 0; i < messages.size(); i++) {
                Tokenizer.ChatTurn m = messages.get(i);
                MemorySegment message = chat.asSlice(i * size, size);
                Layouts.CHAT_ROLE.set(message, 0L, arena.allocateFrom(m.role()));
                Layouts.CHAT_CONTENT.set(message, 0L, arena.allocateFrom(m.content()));
                estimate += m.role().length() + m.content().length();
            }
            MemorySegment tmpl = arena.allocateFrom(template);
            // llama.h suggests twice the characters of the messages; templates add their markers.
            int capacity = 2 * estimate + 256;
            MemorySegment buf = arena.allocate(capacity);
            int n = llama.chatApplyTemplate(tmpl, chat, messages.size(), addAssistant, buf, capacity);
            if (n < 0) {
                return Optional.empty();
            }
            if (n > capacity) {
                capacity = n;
                buf = arena.allocate(capacity);
                n = llama.chatApplyTemplate(tmpl, chat, messages.size(), addAssistant, buf, capacity);
            }
            return Optional.of(new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
        }
    }

    /** Names of the built-in templates, e.g. "chatml", "llama3", "gemma". */
    static List<String> builtinNames(Llama llama) {
        try (Arena arena = Arena.ofConfined()) {
            int n = llama.chatBuiltinTemplates(MemorySegment.NULL, 0);
            MemorySegment names = arena.allocate(ADDRESS, Math.max(1, n));
            n = llama.chatBuiltinTemplates(names, n);
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(Llama.string(names.getAtIndex(ADDRESS, i)));
            }
            return out;
        }
    }
}
