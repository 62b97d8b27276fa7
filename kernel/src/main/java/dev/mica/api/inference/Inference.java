package dev.mica.api.inference;

import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore.PullListener;
import dev.mica.api.model.ModelStore.StatusListener;
import dev.mica.api.model.PullOptions;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs models. {@link #generate} and {@link #chat} validate the request and load the model on the
 * caller's thread (so a bad request or a failed load is an exception, before any event), then
 * return; events reach the sink from an engine thread, in order, ending with exactly one
 * {@link GenerationEvent.Done} unless the returned {@link Generation} completes exceptionally.
 */
@ProviderType
public interface Inference {
    Generation generate(GenerateRequest request, EventSink sink) throws InferenceException;

    Generation chat(ChatRequest request, EventSink sink) throws InferenceException;

    EmbedResult embed(EmbedRequest request) throws InferenceException;

    /** Counts the tokens a chat request's prompt renders to, without running the model. */
    int countTokens(ChatRequest request) throws InferenceException;

    List<ModelSummary> models();

    ModelDetails show(String name) throws InferenceException;

    List<RunningModel> running();

    /** Loads a model and keeps it for {@code keepAlive} (null: the default; negative: forever). */
    void load(String name, Duration keepAlive) throws InferenceException;

    /** Unloads a model once its requests in flight are done. Returns false if it was not loaded. */
    boolean unload(String name);

    ModelSummary create(CreateRequest request, StatusListener status) throws InferenceException;

    void copy(String source, String target) throws InferenceException;

    void delete(String name) throws InferenceException;

    boolean hasBlob(String digest);

    void putBlob(String digest, InputStream content) throws InferenceException;

    /**
     * Downloads a model into the store (see {@code ModelStore.pull}), reporting Ollama's progress
     * fields. Blocks until the model is there or the pull failed; a failed pull leaves no half
     * model, and pulling again resumes its downloads.
     *
     * @throws InferenceException NOT_FOUND when the registry has no such model, INVALID_REQUEST for
     *     a bad name, INTERNAL for an unreachable registry, a digest mismatch or a full disk;
     *     UNAVAILABLE from an implementation that cannot pull
     */
    default void pull(String name, PullOptions options, PullListener listener) throws InferenceException {
        throw new InferenceException(InferenceException.Kind.UNAVAILABLE, "this runtime cannot pull models");
    }

    /** Backends known to the engine, with availability, for status pages. */
    List<BackendReport> backends();

    /** Requests waiting and sequences decoding, for metrics; an implementation without a queue reports idle. */
    default QueueStatus queue() {
        return QueueStatus.IDLE;
    }

    /**
     * Sink for streamed events. Called from one engine thread per generation, in order. It must not
     * block: the engine thread may be decoding other generations too (hand events to a queue).
     */
    @FunctionalInterface
    interface EventSink {
        void accept(GenerationEvent event);
    }
}
