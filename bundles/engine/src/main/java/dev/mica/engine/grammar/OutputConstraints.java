package dev.mica.engine.grammar;

import dev.mica.api.backend.Constraint;
import dev.mica.api.inference.OutputFormat;
import dev.mica.engine.output.ChatFormat;
import java.util.List;
import java.util.Map;

/**
 * Turns a requested output format (any JSON, or JSON valid against a schema) into the constraint a
 * backend's sampler enforces. {@link GbnfConstraints} gives libllama's GBNF grammars; a backend that
 * samples in Java gets its own implementation without the engine changing.
 */
public interface OutputConstraints {
    /** The constraint for {@code format}, or null when there is none. */
    Constraint compile(OutputFormat format) throws InvalidSchemaException;

    /**
     * The constraint of an answer that must call one of {@code tools}, in {@code syntax};
     * {@code inThinking}: the prompt left a think block open that the answer closes first.
     */
    Constraint toolCall(ChatFormat.ToolSyntax syntax, List<Map<String, Object>> tools, boolean inThinking) throws InvalidSchemaException;
}
