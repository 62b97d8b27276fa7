package dev.mica.engine.output;

import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.ToolCall;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Splits a model's output text, as it streams, into answer text, reasoning and tool calls, by the
 * tags of its {@link ChatFormat}. Text that might be the start of a tag is held back until the
 * next piece decides; everything else goes out at once, so answers and reasoning stream token by
 * token and each tool call is sent as soon as it closes.
 *
 * <ul>
 *   <li>{@code <think>...</think>}: reasoning, when the format has think tags; recognised before any
 *       answer text, or from the start when the prompt opened the block itself.
 *   <li>{@code <tool_call>...</tool_call>} (Hermes JSON or Qwen XML inside): one call each, when tools
 *       were offered. A body that does not decode stays answer text, tags included.
 *   <li>Llama 3: an answer that starts with {@code {} (or {@code <|python_tag|>}) is held whole
 *       and becomes tool calls at the end if it decodes as calls, answer text otherwise.
 * </ul>
 * Whitespace between blocks (after {@code </think>}, around calls) is dropped, not sent as answer.
 */
public final class OutputParser {
    private static final String THINK_OPEN = "<think>";
    private static final String THINK_CLOSE = "</think>";
    private static final String CALL_OPEN = "<tool_call>";
    private static final String CALL_CLOSE = "</tool_call>";
    private static final String PYTHON_TAG = "<|python_tag|>";

    private enum State { CONTENT, THINKING, TOOL_CALL, WHOLE_ANSWER_CALL }

    private final ChatFormat format;
    private final boolean tools;
    private final ToolCallDecoder decoder;
    private final StringBuilder pending = new StringBuilder();
    private State state;
    /** Answer text (not whitespace) has been sent: think and Llama 3 calls are no longer expected. */
    private boolean answered;

    /**
     * @param startsThinking the prompt ends inside an open think block (the template opened it)
     * @param decoder decodes call bodies; null when no tools were offered
     */
    public OutputParser(ChatFormat format, boolean startsThinking, ToolCallDecoder decoder) {
        this.format = format;
        this.tools = decoder != null && format.tools() != ChatFormat.ToolSyntax.NONE;
        this.decoder = decoder;
        this.state = startsThinking && format.thinkTags() ? State.THINKING : State.CONTENT;
    }

    /** Whether the output is inside a think block now. */
    public boolean thinking() {
        return state == State.THINKING;
    }

    /** Whether text fed now would be answer text: not inside reasoning or a tool call. */
    public boolean inAnswer() {
        return state == State.CONTENT;
    }

    /** Feeds the next piece of output text; sends what is certain. */
    public void feed(String text, Consumer<GenerationEvent> out) {
        pending.append(text);
        while (step(out)) {
            // each step consumes a tag or decides it must wait for more text
        }
    }

    /** The output ended: sends what was held, decoding an unclosed call if it is complete enough. */
    public void finish(Consumer<GenerationEvent> out) {
        String rest = pending.toString();
        pending.setLength(0);
        switch (state) {
            case THINKING -> thinking(rest, out);
            case CONTENT -> content(answered ? rest : rest.strip(), out);
            case TOOL_CALL -> {
                Optional<ToolCall> call = decodeCall(rest);
                if (call.isPresent()) out.accept(new GenerationEvent.ToolCalls(List.of(call.get())));
                else content(CALL_OPEN + rest, out);
            }
            case WHOLE_ANSWER_CALL -> {
                List<ToolCall> calls = decoder.jsonSequence(rest);
                if (calls.isEmpty()) content(rest.strip(), out);
                else out.accept(new GenerationEvent.ToolCalls(calls));
            }
        }
    }

    /** One decision; true if another may follow at once. */
    private boolean step(Consumer<GenerationEvent> out) {
        return switch (state) {
            case THINKING -> {
                int close = pending.indexOf(THINK_CLOSE);
                if (close < 0) {
                    thinking(take(pending.length() - heldFor(THINK_CLOSE)), out);
                    yield false;
                }
                thinking(take(close), out);
                pending.delete(0, THINK_CLOSE.length());
                state = State.CONTENT;
                yield true;
            }
            case TOOL_CALL -> {
                int close = pending.indexOf(CALL_CLOSE);
                if (close < 0) yield false;
                String body = take(close);
                pending.delete(0, CALL_CLOSE.length());
                Optional<ToolCall> call = decodeCall(body);
                if (call.isPresent()) out.accept(new GenerationEvent.ToolCalls(List.of(call.get())));
                else content(CALL_OPEN + body + CALL_CLOSE, out);
                state = State.CONTENT;
                yield true;
            }
            case WHOLE_ANSWER_CALL -> false;
            case CONTENT -> content(out);
        };
    }

    private boolean content(Consumer<GenerationEvent> out) {
        if (!answered) {
            int start = firstNonWhitespace();
            if (start < 0) return false; // only whitespace so far: wait to see what follows
            if (tools && format.tools() == ChatFormat.ToolSyntax.LLAMA3_JSON) {
                String head = pending.substring(start, Math.min(pending.length(), start + PYTHON_TAG.length()));
                if (head.startsWith("{") || head.equals(PYTHON_TAG)) {
                    state = State.WHOLE_ANSWER_CALL;
                    return false;
                }
                if (PYTHON_TAG.startsWith(head)) return false; // could still become the tag
            }
            if (format.thinkTags() && startsWith(start, THINK_OPEN)) {
                pending.delete(0, start + THINK_OPEN.length());
                state = State.THINKING;
                return true;
            }
            if (format.thinkTags() && THINK_OPEN.startsWith(pending.substring(start))) return false;
        }
        int call = tools && format.tools() != ChatFormat.ToolSyntax.LLAMA3_JSON ? pending.indexOf(CALL_OPEN) : -1;
        if (call >= 0) {
            String before = take(call);
            content(answered ? before : before.strip(), out);
            pending.delete(0, CALL_OPEN.length());
            state = State.TOOL_CALL;
            return true;
        }
        int held = tools && format.tools() != ChatFormat.ToolSyntax.LLAMA3_JSON ? heldFor(CALL_OPEN) : 0;
        String ready = take(pending.length() - held);
        content(answered ? ready : ready.stripLeading(), out);
        return false;
    }

    private Optional<ToolCall> decodeCall(String body) {
        return format.tools() == ChatFormat.ToolSyntax.QWEN_XML ? decoder.xml(body) : decoder.json(body);
    }

    private void content(String text, Consumer<GenerationEvent> out) {
        if (text.isEmpty()) return;
        answered = true;
        out.accept(new GenerationEvent.Token(text, null));
    }

    private static void thinking(String text, Consumer<GenerationEvent> out) {
        if (!text.isEmpty()) out.accept(new GenerationEvent.Thinking(text));
    }

    /** Removes and returns the first {@code n} pending characters. */
    private String take(int n) {
        String s = pending.substring(0, n);
        pending.delete(0, n);
        return s;
    }

    /** How many trailing characters could be the start of {@code tag}. */
    private int heldFor(String tag) {
        int max = Math.min(pending.length(), tag.length() - 1);
        for (int n = max; n > 0; n--) {
            if (matches(pending.length() - n, tag, n)) return n;
        }
        return 0;
    }

    private boolean startsWith(int at, String tag) {
        return pending.length() - at >= tag.length() && matches(at, tag, tag.length());
    }

    /** Whether {@code n} pending characters from {@code at} equal the start of {@code tag}. */
    private boolean matches(int at, String tag, int n) {
        for (int i = 0; i < n; i++) {
            if (pending.charAt(at + i) != tag.charAt(i)) return false;
        }
        return true;
    }

    private int firstNonWhitespace() {
        for (int i = 0; i < pending.length(); i++) {
            if (!Character.isWhitespace(pending.charAt(i))) return i;
        }
        return -1;
    }
}
