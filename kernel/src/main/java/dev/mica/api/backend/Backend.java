package dev.mica.api.backend;

import dev.mica.api.model.ModelDescriptor;
import java.util.List;
import java.util.Set;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * An inference backend, registered as an OSGi service. Service property {@code mica.backend.id}
 * carries {@link #id()} so the engine can filter without calling in.
 */
@ConsumerType
public interface Backend {
    /** Service property naming the backend; equal to {@link #id()}. */
    String ID_PROPERTY = "mica.backend.id";

    /** A short stable id: "ggml", "mlx", "java". */
    String id();

    /** Whether the backend can load models now, and if not, why (e.g. a native library is missing). */
    BackendStatus status();

    /** Devices the backend computes on, with their memory. */
    List<DeviceInfo> devices();

    /** Model file formats this backend reads, e.g. {@code gguf}. */
    Set<String> formats();

    /** Whether this backend can load the model; false lets the engine try the next backend. */
    boolean supports(ModelDescriptor model);

    /** Loads a model. Progress is reported in [0, 1]; the call blocks until loading is done. */
    LoadedModel load(ModelDescriptor model, LoadOptions options, ProgressListener progress) throws BackendException;
}
