package dev.mica.api.model;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Names to models. Implementations validate names: no path tricks reach the file system. */
@ProviderType
public interface ModelStore {
    List<ModelDescriptor> list();

    /** Looks a name up; a name without a tag means {@code :latest}. */
    Optional<ModelDescriptor> find(String name);

    ModelDescriptor create(CreateRequest request, StatusListener status) throws ModelStoreException;

    void copy(String source, String target) throws ModelStoreException;

    /** Returns false when there was no such model. */
    boolean delete(String name) throws ModelStoreException;

    boolean hasBlob(String digest);

    /** Stores a blob after checking its sha256; nothing is kept when the digest does not match. */
    void putBlob(String digest, InputStream content) throws ModelStoreException, IOException;

    /**
     * Downloads a model from its registry (the name's host; Ollama's registry for plain names;
     * Hugging Face for {@code hf.co/<org>/<repo>:<quant>}). Blobs are checked against their sha256
     * before they become visible and the manifest is written last, atomically: an interrupted or
     * failed pull leaves no half model, and the next pull of the same name resumes the downloads.
     *
     * @throws ModelStoreException NOT_FOUND when the registry has no such model, INVALID for a bad
     *     name, IO when the registry is unreachable or answers out of protocol, a digest does not
     *     match or the disk is full
     */
    ModelDescriptor pull(String name, PullOptions options, PullListener listener) throws ModelStoreException;

    /** Receives status lines such as "parsing model", "writing manifest", "success". */
    @FunctionalInterface
    interface StatusListener {
        StatusListener NONE = status -> {};

        void status(String status);
    }

    /** Receives a pull's progress; called from the pulling thread, often: it should return fast. */
    @FunctionalInterface
    interface PullListener {
        PullListener NONE = progress -> {};

        void progress(PullProgress progress);
    }
}
