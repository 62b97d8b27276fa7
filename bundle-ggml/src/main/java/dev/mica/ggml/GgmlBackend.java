package dev.mica.ggml;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.mica.api.backend.Backend;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.BackendStatus;
import dev.mica.api.backend.DeviceInfo;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.ggml.ffm.Llama;
import dev.mica.ggml.ffm.Natives;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The GGML backend: GGUF models run by llama.cpp's libllama through FFM.
 *
 * <p>The libraries come from the folder in the framework property {@code mica.llama.path} (the
 * kernel maps {@code MICA_LLAMA_PATH} to it), so a user can run mica on their own CUDA or Metal
 * build. When they are missing or unusable the component still activates and reports itself
 * unavailable with the reason: a backend never stops the kernel.
 *
 * <p>Immediate: it loads the natives when the bundle starts, so its status is known before anyone
 * asks, and it stays active while nobody holds the service. A delayed component would be
 * deactivated whenever its last user lets go, and deactivation frees every model it loaded.
 */
@Component(service = Backend.class, immediate = true, property = Backend.ID_PROPERTY + "=ggml")
public final class GgmlBackend implements Backend {
    /** Framework property naming the folder that holds libllama and the ggml libraries. */
    public static final String LIBRARY_PATH_PROPERTY = "mica.llama.path";

    private static final System.Logger LOG = System.getLogger("dev.mica.ggml");
    private static final String[] DEVICE_KINDS = {"cpu", "gpu", "igpu", "accel", "meta"};

    private final Set<GgmlModel> models = ConcurrentHashMap.newKeySet();
    private volatile Llama llama;
    private volatile BackendStatus status = BackendStatus.unavailable("the ggml backend is not active");

    /** For Declarative Services, which then calls {@link #activate}. */
    public GgmlBackend() {}

    /**
     * A backend outside OSGi (benchmarks, tools), over the libraries in a folder. Like the
     * component it never throws: check {@link #status()}.
     */
    public GgmlBackend(Path libraryFolder) {
        start(libraryFolder.toString());
    }

    @Activate
    void activate(BundleContext bundleContext) {
        start(bundleContext.getProperty(LIBRARY_PATH_PROPERTY));
    }

    /**
     * Loads the natives from a folder (null or blank: not configured). Never throws: whatever goes
     * wrong becomes the unavailable status.
     */
    void start(String libraryPath) {
        if (libraryPath == null || libraryPath.isBlank()) {
            status = BackendStatus.unavailable("no llama.cpp library folder configured: set " + LIBRARY_PATH_PROPERTY
                    + " (or MICA_LLAMA_PATH)");
            LOG.log(Level.WARNING, "ggml backend unavailable: {0}", status.detail());
            return;
        }
        try {
            Path folder = Path.of(libraryPath);
            Llama bindings = Natives.load(folder);
            llama = bindings;
            status = BackendStatus.available("llama.cpp from " + folder.toAbsolutePath().normalize() + " on "
                    + String.join(", ", devices().stream().map(DeviceInfo::name).toList()));
            LOG.log(Level.INFO, "ggml backend ready: {0}", status.detail());
        } catch (Natives.UnavailableException e) {
            status = BackendStatus.unavailable(e.getMessage());
            LOG.log(Level.WARNING, "ggml backend unavailable: {0}", e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            status = BackendStatus.unavailable("cannot use the llama.cpp libraries in " + libraryPath + ": " + e);
            LOG.log(Level.WARNING, "ggml backend unavailable", e);
        }
    }

    /**
     * Frees the models this backend still holds; the engine should have unloaded them. The native
     * libraries stay loaded for the life of the process (see {@link Natives}).
     */
    @Deactivate
    void deactivate() {
        status = BackendStatus.unavailable("the ggml backend has stopped");
        for (GgmlModel model : List.copyOf(models)) {
            model.close();
        }
        llama = null;
    }

    @Override
    public String id() {
        return "ggml";
    }

    @Override
    public BackendStatus status() {
        return status;
    }

    @Override
    public List<DeviceInfo> devices() {
        Llama l = llama;
        if (l == null) {
            return List.of();
        }
        List<DeviceInfo> devices = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            long count = l.backendDevCount();
            for (long i = 0; i < count; i++) {
                MemorySegment dev = l.backendDevGet(i);
                String name = Llama.string(l.backendDevName(dev));
                String description = Llama.string(l.backendDevDescription(dev));
                int type = l.backendDevType(dev);
                l.backendDevMemory(dev, free, total);
                String label = description == null || description.isBlank() || description.equals(name)
                        ? name : name + " (" + description + ")";
                String kind = type >= 0 && type < DEVICE_KINDS.length ? DEVICE_KINDS[type] : "other";
                long totalBytes = total.get(JAVA_LONG, 0);
                long freeBytes = free.get(JAVA_LONG, 0);
                devices.add(new DeviceInfo(label, kind, totalBytes > 0 ? totalBytes : -1, totalBytes > 0 ? freeBytes : -1));
            }
        }
        return List.copyOf(devices);
    }

    @Override
    public Set<String> formats() {
        return Set.of("gguf");
    }

    @Override
    public boolean supports(ModelDescriptor model) {
        return status.available() && model.format() != null && model.format().equalsIgnoreCase("gguf")
                && model.model() != null && Files.isRegularFile(model.model());
    }

    @Override
    public LoadedModel load(ModelDescriptor model, LoadOptions options, ProgressListener progress) throws BackendException {
        Llama l = llama;
        if (l == null) {
            throw new BackendException("the ggml backend is unavailable: " + status.detail());
        }
        if (model.format() == null || !model.format().equalsIgnoreCase("gguf")) {
            throw new BackendException("the ggml backend reads GGUF files, not " + model.format());
        }
        Path file = model.model();
        if (file == null || !Files.isRegularFile(file)) {
            throw new BackendException("model file " + file + " of " + model.name() + " does not exist");
        }
        GgmlModel loaded = GgmlModel.load(l, file, model.name(), options == null ? LoadOptions.DEFAULT : options,
                progress == null ? ProgressListener.NONE : progress, models::remove);
        models.add(loaded);
        LOG.log(Level.DEBUG, "loaded {0}", loaded);
        return loaded;
    }

    /**
     * Quantizes a GGUF file with llama.cpp's quantizer, e.g. to "Q4_K_M" or "Q8_0". Tensors whose
     * shape the type cannot hold are kept in a fallback type by llama.cpp.
     */
    public void quantize(Path input, Path output, String type, int threads) throws BackendException {
        Llama l = llama;
        if (l == null) {
            throw new BackendException("the ggml backend is unavailable: " + status.detail());
        }
        Quantizer.quantize(l, input, output, type, threads);
    }
}
