package dev.mica.api.inference;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * /api/show. {@code modelInfo} holds the model's metadata under GGUF key names; {@code messages}
 * are those a Modelfile prepends to every chat, {@code licenses} the license texts it carries.
 */
public record ModelDetails(
        String name,
        String modelfile,
        String parameters,
        String template,
        String system,
        Details details,
        Map<String, Object> modelInfo,
        List<String> capabilities,
        Instant modifiedAt,
        List<Message> messages,
        List<String> licenses) {

    public ModelDetails {
        messages = messages == null ? List.of() : List.copyOf(messages);
        licenses = licenses == null ? List.of() : List.copyOf(licenses);
    }

    /** Details without messages and licenses: the constructor of contract 1.3, kept for its callers. */
    public ModelDetails(String name, String modelfile, String parameters, String template, String system, Details details,
            Map<String, Object> modelInfo, List<String> capabilities, Instant modifiedAt) {
        this(name, modelfile, parameters, template, system, details, modelInfo, capabilities, modifiedAt, List.of(), List.of());
    }

    public record Details(String parentModel, String format, String family, List<String> families, String parameterSize, String quantizationLevel) {}
}
