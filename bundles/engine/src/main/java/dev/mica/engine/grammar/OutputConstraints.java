package dev.mica.engine.grammar;

import dev.mica.api.backend.Constraint;
import dev.mica.api.inference.OutputFormat;

/**
 * Turns a requested output format (any JSON, or JSON valid against a schema) into the constraint a
 * backend's sampler enforces. {@link GbnfConstraints} gives libllama's GBNF grammars; a backend that
 * samples in Java gets its own implementation without the engine changing.
 */
public interface OutputConstraints {
    /** The constraint for {@code format}, or null when there is none. */
    Constraint compile(OutputFormat format) throws InvalidSchemaException;
}
