package dev.mica.backend.java;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.Backend;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.BackendStatus;
import dev.mica.api.backend.DeviceInfo;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.Tokenizer;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.backend.java.tensor.Vec;
import dev.mica.backend.java.tensor.WeightFormat;
import dev.mica.gguf.GgufException;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.tokenizer.GgufTokenizers;
import dev.mica.graph.Architectures;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Backend "java": GGUF models computed in plain Java, wherever a JDK runs. The model's file is
 * memory-mapped through FFM; matmuls run Vector API kernels on a thread pool per context; the
 * computation itself comes from the {@link ModelArchitecture} services that architecture bundles
 * register. Those come and go at run time: a model whose architecture has no bundle installed is
 * refused with a message that says so, and installing the bundle makes it loadable at once.
 *
 * <p>Immediate, so a stop of the bundle (not the last user letting go) is what frees its models.
 */
@Component(service = Backend.class, immediate = true, property = Backend.ID_PROPERTY + "=java")
public final class JavaBackend implements Backend {
    private static final System.Logger LOG = System.getLogger("dev.mica.backend.java");

    /** Architectures by every name they answer to, in arrival order per name. */
    private final Architectures architectures = new Architectures("java");
    private final Set<JavaModel> models = ConcurrentHashMap.newKeySet();
    private final Numerics numerics;

    /** For Declarative Services, and for use outside OSGi with {@link #addArchitecture}. */
    public JavaBackend() {
        this.numerics = Numerics.EXACT;
    }

    /** A backend outside OSGi (tests, benchmarks) running these architectures. */
    public JavaBackend(List<ModelArchitecture> architectures, Numerics numerics) {
        this.numerics = numerics;
        architectures.forEach(this::addArchitecture);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeArchitecture")
    public void addArchitecture(ModelArchitecture architecture) {
        architectures.add(architecture);
        LOG.log(Level.INFO, "java backend: architecture {0} available", architecture.names());
    }

    /** Models already loaded keep running; new loads of its names are refused unless another bundle offers them. */
    public void removeArchitecture(ModelArchitecture architecture) {
        architectures.remove(architecture);
        LOG.log(Level.INFO, "java backend: architecture {0} removed", architecture.names());
    }

    /** The architecture names this backend can run now. */
    public Set<String> architectureNames() {
        return architectures.names();
    }

    @Deactivate
    void deactivate() {
        for (JavaModel m : List.copyOf(models)) m.close();
    }

    @Override
    public String id() {
        return "java";
    }

    @Override
    public BackendStatus status() {
        return BackendStatus.available("pure Java on " + Runtime.getRuntime().availableProcessors() + " cores, "
                + (Vec.ENABLED ? Vec.L * 32 + "-bit vectors" : "scalar kernels") + "; architectures " + architectureNames());
    }

    @Override
    public List<DeviceInfo> devices() {
        Runtime rt = Runtime.getRuntime();
        return List.of(new DeviceInfo("JVM on " + rt.availableProcessors() + " cores", "cpu", rt.maxMemory(),
                rt.maxMemory() - rt.totalMemory() + rt.freeMemory()));
    }

    @Override
    public Set<String> formats() {
        return Set.of("gguf");
    }

    /**
     * Any GGUF file: whether its architecture is installed is told by {@link #load}, with a message
     * a user can act on, rather than by a silent refusal here.
     */
    @Override
    public boolean supports(ModelDescriptor model) {
        return model.format() != null && model.format().equalsIgnoreCase("gguf") && model.model() != null
                && Files.isRegularFile(model.model());
    }

    @Override
    public LoadedModel load(ModelDescriptor model, LoadOptions options, ProgressListener progress) throws BackendException {
        if (model.format() == null || !model.format().equalsIgnoreCase("gguf")) {
            throw new BackendException("the java backend reads GGUF files, not " + model.format());
        }
        Path path = model.model();
        if (path == null || !Files.isRegularFile(path)) {
            throw new BackendException("model file " + path + " of " + model.name() + " does not exist");
        }
        LoadOptions o = options == null ? LoadOptions.DEFAULT : options;
        return load(path, model.name(), o, progress == null ? ProgressListener.NONE : progress);
    }

    /** Loads a GGUF file directly (tests, benchmarks). */
    public LoadedModel load(Path path, String name, LoadOptions options, ProgressListener progress) throws BackendException {
        GgufFile file;
        try {
            file = GgufFile.read(path);
        } catch (GgufException e) {
            throw new BackendException(e.getMessage(), e);
        } catch (IOException e) {
            throw new BackendException("cannot read " + path + ": " + e.getMessage(), e);
        }
        ModelArchitecture architecture = architectures.forName(file.architecture(), name);
        for (GgufTensor t : file.tensors()) {
            if (WeightFormat.of(t.type()) == null) {
                throw new BackendException("tensor " + t.name() + " of " + name + " is " + t.type() + "; the java backend reads "
                        + WeightFormat.supported());
            }
        }
        Tokenizer tokenizer;
        try {
            tokenizer = GgufTokenizers.fromGguf(file);
        } catch (RuntimeException e) {
            throw new BackendException("the java backend cannot read the vocabulary of " + name + ": " + e.getMessage(), e);
        }
        progress.progress(0.1);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment bytes;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                if (options.useMmap()) {
                    bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                } else {
                    bytes = arena.allocate(ch.size(), 64);
                    bytes.copyFrom(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto()));
                }
            }
            int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
            JavaModel loaded = new JavaModel(name, file, arena, new GgufModelFile(file, bytes), architecture, tokenizer, threads,
                    numerics, models::remove);
            models.add(loaded);
            progress.progress(1.0);
            LOG.log(Level.DEBUG, "loaded {0}", loaded);
            return loaded;
        } catch (IOException e) {
            arena.close();
            throw new BackendException("cannot map " + path + ": " + e.getMessage(), e);
        } catch (BackendException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
