package dev.mica.api.model;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A model as the store knows it.
 *
 * @param name canonical name, e.g. {@code stories:latest}
 * @param format file format of {@code model}, e.g. {@code gguf}
 * @param model the weights file (or directory, for formats made of several files)
 * @param digest sha256 of the weights, {@code sha256:<hex>}
 * @param template a template that overrides the model's own, or null
 * @param system a default system prompt, or null
 * @param parameters default options (Ollama names: temperature, num_ctx, stop, ...)
 * @param messages messages prepended to every chat
 * @param preferredBackend backend id this model should run on, or null for the configured order
 * @param licenses the texts of the model's licenses, in the order its Modelfile gave them
 */
public record ModelDescriptor(
        String name,
        String format,
        Path model,
        String digest,
        long size,
        Instant modifiedAt,
        String template,
        String system,
        Map<String, Object> parameters,
        List<Message> messages,
        String preferredBackend,
        List<String> licenses) {

    public ModelDescriptor {
        parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        messages = messages == null ? List.of() : List.copyOf(messages);
        licenses = licenses == null ? List.of() : List.copyOf(licenses);
    }

    /** A model without licenses: the constructor of contract 1.2, kept for its callers. */
    public ModelDescriptor(String name, String format, Path model, String digest, long size, Instant modifiedAt,
            String template, String system, Map<String, Object> parameters, List<Message> messages, String preferredBackend) {
        this(name, format, model, digest, size, modifiedAt, template, system, parameters, messages, preferredBackend, List.of());
    }

    /** A chat message given in a Modelfile. */
    public record Message(String role, String content) {}
}
