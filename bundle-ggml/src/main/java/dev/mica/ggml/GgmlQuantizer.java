package dev.mica.ggml;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Quantizer;
import java.nio.file.Path;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * llama.cpp's quantizer offered as the contract's {@link Quantizer}, so the store can quantize a
 * model on import without depending on this bundle. It lives and goes with this bundle's own
 * backend component (the target names it), whose loaded libraries it uses.
 */
@Component(service = Quantizer.class, property = Backend.ID_PROPERTY + "=ggml")
public final class GgmlQuantizer implements Quantizer {
    private static final Set<String> TYPES = Set.of(FileTypes.known().split(", "));

    private final GgmlBackend backend;

    @Activate
    public GgmlQuantizer(@Reference(target = "(component.name=dev.mica.ggml.GgmlBackend)") Backend backend) {
        // The target filter selects this bundle's component, so the service object is its class.
        this.backend = (GgmlBackend) backend;
    }

    @Override
    public Set<String> formats() {
        return backend.formats();
    }

    @Override
    public Set<String> types() {
        return TYPES;
    }

    @Override
    public void quantize(Path input, Path output, String type) throws BackendException {
        backend.quantize(input, output, type, 0);
    }
}
