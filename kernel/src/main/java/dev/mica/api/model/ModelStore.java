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

    /** Receives status lines such as "parsing model", "writing manifest", "success". */
    @FunctionalInterface
    interface StatusListener {
        StatusListener NONE = status -> {};

        void status(String status);
    }
}
