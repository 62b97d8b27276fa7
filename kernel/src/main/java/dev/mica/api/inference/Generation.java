package dev.mica.api.inference;

import java.util.concurrent.CompletableFuture;

/** A generation in flight. */
public interface Generation {
    /** Stops the generation soon; it then ends with a Done of reason CANCELLED. Idempotent. */
    void cancel();

    /** Completes with the final Done event, or exceptionally with an {@link InferenceException}. */
    CompletableFuture<GenerationEvent.Done> result();
}
