package dev.mica.jinja;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed Jinja2 chat template.
 *
 * <p>Chat templates ship inside model files (GGUF {@code tokenizer.chat_template}, HF
 * {@code tokenizer_config.json}) and are untrusted input, so this is a sandboxed interpreter: templates can only reach
 * the values in the render context, the whitelisted Python-style methods and a few globals; every render runs under a
 * step budget, an output size cap and a recursion limit.
 *
 * <pre>{@code
 * Template t = Template.parse(source);
 * String prompt = t.render(Map.of("messages", messages, "add_generation_prompt", true));
 * }</pre>
 *
 * <p>A parsed template is immutable and may be rendered from several threads at once.
 */
public final class Template {

    /**
     * Environment settings. {@link #DEFAULT} matches what HF transformers' {@code apply_chat_template} uses
     * ({@code trim_blocks=True, lstrip_blocks=True}, trailing newline dropped) plus mica's safety limits.
     *
     * @param trimBlocks          drop the first newline after a block tag or comment
     * @param lstripBlocks        drop spaces and tabs between the start of a line and a block tag or comment
     * @param keepTrailingNewline keep the source's final newline (Jinja drops it by default)
     * @param maxSteps            evaluation budget: statements, expressions and loop iterations each cost one step,
     *                            bulk operations cost one step per element
     * @param maxOutputChars      largest string the template may produce, as output or as an intermediate value
     * @param maxCallDepth        deepest macro call nesting
     * @param clock               time source of {@code strftime_now}
     */
    public record Options(boolean trimBlocks, boolean lstripBlocks, boolean keepTrailingNewline, long maxSteps,
                          int maxOutputChars, int maxCallDepth, Clock clock) {

        public static final Options DEFAULT =
                new Options(true, true, false, 10_000_000L, 32 * 1024 * 1024, 100, Clock.systemDefaultZone());

        public Options {
            Objects.requireNonNull(clock, "clock");
            if (maxSteps <= 0 || maxOutputChars <= 0 || maxCallDepth <= 0) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }

        public Options withTrimBlocks(boolean value) {
            return new Options(value, lstripBlocks, keepTrailingNewline, maxSteps, maxOutputChars, maxCallDepth, clock);
        }

        public Options withLstripBlocks(boolean value) {
            return new Options(trimBlocks, value, keepTrailingNewline, maxSteps, maxOutputChars, maxCallDepth, clock);
        }

        public Options withKeepTrailingNewline(boolean value) {
            return new Options(trimBlocks, lstripBlocks, value, maxSteps, maxOutputChars, maxCallDepth, clock);
        }

        public Options withMaxSteps(long value) {
            return new Options(trimBlocks, lstripBlocks, keepTrailingNewline, value, maxOutputChars, maxCallDepth, clock);
        }

        public Options withMaxOutputChars(int value) {
            return new Options(trimBlocks, lstripBlocks, keepTrailingNewline, maxSteps, value, maxCallDepth, clock);
        }

        public Options withMaxCallDepth(int value) {
            return new Options(trimBlocks, lstripBlocks, keepTrailingNewline, maxSteps, maxOutputChars, value, clock);
        }

        public Options withClock(Clock value) {
            return new Options(trimBlocks, lstripBlocks, keepTrailingNewline, maxSteps, maxOutputChars, maxCallDepth, value);
        }
    }

    private final List<Ast.Stmt> body;
    private final Options options;

    private Template(List<Ast.Stmt> body, Options options) {
        this.body = body;
        this.options = options;
    }

    /** Parses with {@link Options#DEFAULT}. */
    public static Template parse(String source) {
        return parse(source, Options.DEFAULT);
    }

    /** @throws TemplateException of kind {@link TemplateException.Kind#SYNTAX} with the line and column of the error */
    public static Template parse(String source, Options options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(options, "options");
        try {
            var tokens = new Lexer(source, options).tokenize();
            return new Template(new Parser(tokens).parseTemplate(), options);
        } catch (StackOverflowError e) {
            throw new TemplateException(TemplateException.Kind.LIMIT, "template nesting too deep");
        }
    }

    /**
     * Renders with the given variables. Values may be {@link Map}s with string keys, {@link List}s (or other
     * collections and arrays), {@link String}s, {@link Number}s, {@link Boolean}s and {@code null}; the context is copied
     * first, so a template mutating a list never touches the caller's data.
     *
     * @throws TemplateException for a run-time error, a {@code raise_exception} call or a limit hit
     */
    public String render(Map<String, ?> context) {
        return new Interpreter(options).render(body, context == null ? Map.of() : context);
    }

    public Options options() {
        return options;
    }
}
