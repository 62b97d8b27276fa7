package dev.mica.api.inference;

/** Structured output: any JSON, or JSON valid against a schema (given as JSON text). */
public sealed interface OutputFormat {
    record AnyJson() implements OutputFormat {}

    record Schema(String json) implements OutputFormat {}
}
