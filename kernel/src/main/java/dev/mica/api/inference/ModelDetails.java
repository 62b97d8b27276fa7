package dev.mica.api.inference;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** /api/show. {@code modelInfo} holds the model's metadata under GGUF key names. */
public record ModelDetails(
        String name,
        String modelfile,
        String parameters,
        String template,
        String system,
        Details details,
        Map<String, Object> modelInfo,
        List<String> capabilities,
        Instant modifiedAt) {

    public record Details(String parentModel, String format, String family, List<String> families, String parameterSize, String quantizationLevel) {}
}
