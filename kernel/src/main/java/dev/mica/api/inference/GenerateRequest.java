package dev.mica.api.inference;

import java.time.Duration;
import java.util.List;

/**
 * /api/generate. With {@code raw} the prompt goes to the model as is; otherwise it is rendered
 * through the template (the request's, the model's, or the GGUF's). {@code context} continues a
 * previous answer. {@code keepAlive} null means the default.
 */
public record GenerateRequest(
        String model,
        String prompt,
        String suffix,
        String system,
        String template,
        boolean raw,
        int[] context,
        List<String> images,
        OutputFormat format,
        Options options,
        Duration keepAlive,
        Think think,
        boolean logprobs,
        int topLogprobs) {

    public GenerateRequest {
        images = images == null ? List.of() : List.copyOf(images);
        options = options == null ? Options.NONE : options;
    }

    public static GenerateRequest of(String model, String prompt) {
        return new GenerateRequest(model, prompt, null, null, null, false, null, null, null, null, null, null, false, 0);
    }
}
