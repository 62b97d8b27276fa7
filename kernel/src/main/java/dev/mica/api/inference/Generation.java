package dev.mica.api.inference;

import java.util.concurrent.CompletableFuture;

/** A generation in flight. */
public interface Generation {
    /** Stops the generation soon; it then ends with a Done of reason CANCELLED. Idempotent. */
    void cancel();

    /** Completes with the final Done event, or exceptionally with an {@link InferenceException}. */
    CompletableFuture<GenerationEvent.Done> result();

    /**
     * Tokens of the rendered prompt, known once the request was accepted (front ends announce it
     * before the answer, e.g. Anthropic's message_start); -1 where the implementation cannot tell.
     */
    default int promptTokens() {
        return -1;
    }
}
