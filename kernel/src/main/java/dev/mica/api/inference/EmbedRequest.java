package dev.mica.api.inference;

import java.time.Duration;
import java.util.List;

/** /api/embed: several inputs at once. {@code truncate} cuts inputs longer than the context. */
public record EmbedRequest(String model, List<String> input, boolean truncate, Integer dimensions, Options options, Duration keepAlive) {
    public EmbedRequest {
        input = List.copyOf(input);
        options = options == null ? Options.NONE : options;
    }
}
