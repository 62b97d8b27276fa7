package dev.mica.mlx;

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
import dev.mica.gguf.GgufException;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.graph.Architectures;
import dev.mica.graph.GraphModelInfo;
import dev.mica.mlx.ffm.MlxLibrary;
import dev.mica.tokenizer.GgufTokenizers;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Backend "mlx": GGUF models computed by Apple's MLX through mlx-c, on the GPU (Metal) where MLX
 * has it and on the CPU elsewhere. The computation comes from the {@link ModelArchitecture}
 * services, as on the Java backend. libmlxc comes from the folder in {@code mica.mlx.path} (the
 * kernel maps {@code MICA_MLX_PATH} to it); without it the component still activates and reports
 * itself unavailable with the reason.
 *
 * <p>Immediate, for the same reason as the GGML backend: a stop of the bundle, not the last user
 * letting go, is what frees its models.
 */
@Component(service = Backend.class, immediate = true, property = Backend.ID_PROPERTY + "=mlx")
public final class MlxBackend implements Backend {
    /** Optional framework property: MLX's memory limit in bytes. */
    public static final String MEMORY_LIMIT_PROPERTY = "mica.mlx.memory.limit";
    private static final System.Logger LOG = System.getLogger("dev.mica.mlx");

    private final Architectures architectures = new Architectures("mlx");
    private final Set<MlxModel> models = ConcurrentHashMap.newKeySet();
    private volatile MlxRuntime runtime;
    private volatile BackendStatus status = BackendStatus.unavailable("the mlx backend is not active");

    /** For Declarative Services, which then calls {@link #activate}. */
    public MlxBackend() {}

    /**
     * A backend outside OSGi (tests, tools) over libmlxc in a folder (null: {@code MICA_MLX_PATH}).
     * Never throws: check {@link #status()}.
     */
    public MlxBackend(String libraryFolder, List<ModelArchitecture> architectures) {
        architectures.forEach(this::addArchitecture);
        start(libraryFolder, null);
    }

    @Activate
    void activate(BundleContext context) {
        start(context.getProperty(MlxLibrary.PATH_PROPERTY), context.getProperty(MEMORY_LIMIT_PROPERTY));
    }

    private void start(String folder, String memoryLimit) {
        try {
            MlxRuntime rt = MlxRuntime.start(MlxLibrary.configured(folder));
            if (memoryLimit != null && !memoryLimit.isBlank()) {
                long limit = Long.parseLong(memoryLimit.trim());
                rt.call(() -> rt.mlx().setMemoryLimit(limit));
            }
            runtime = rt;
            status = BackendStatus.available(rt.route() + "; architectures " + architectureNames());
            LOG.log(Level.INFO, "mlx backend ready: {0}", status.detail());
        } catch (MlxLibrary.Unavailable e) {
            status = BackendStatus.unavailable(e.getMessage());
            // without a configured folder this is the normal state of most machines, not a problem
            LOG.log(folder == null ? Level.INFO : Level.WARNING, "mlx backend unavailable: {0}", e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            status = BackendStatus.unavailable("cannot use MLX from " + folder + ": " + e);
            LOG.log(Level.WARNING, "mlx backend unavailable", e);
        }
    }

    @Deactivate
    void deactivate() {
        status = BackendStatus.unavailable("the mlx backend has stopped");
        for (MlxModel m : List.copyOf(models)) m.close();
        MlxRuntime rt = runtime;
        runtime = null;
        if (rt != null) rt.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeArchitecture")
    public void addArchitecture(ModelArchitecture architecture) {
        architectures.add(architecture);
    }

    public void removeArchitecture(ModelArchitecture architecture) {
        architectures.remove(architecture);
    }

    public Set<String> architectureNames() {
        return architectures.names();
    }

    @Override
    public String id() {
        return "mlx";
    }

    @Override
    public BackendStatus status() {
        return status;
    }

    @Override
    public List<DeviceInfo> devices() {
        MlxRuntime rt = runtime;
        if (rt == null) return List.of();
        long limit = rt.call(() -> rt.mlx().memory("mlx_get_memory_limit"));
        long active = rt.call(() -> rt.mlx().memory("mlx_get_active_memory"));
        return List.of(new DeviceInfo(rt.device(), rt.gpu() ? "gpu" : "cpu", limit, Math.max(0, limit - active)));
    }

    @Override
    public Set<String> formats() {
        return Set.of("gguf", "safetensors");
    }

    @Override
    public boolean supports(ModelDescriptor model) {
        if (!status.available() || model.model() == null) return false;
        if (MlxFolder.is(model.model())) return true;
        return model.format() != null && model.format().equalsIgnoreCase("gguf") && Files.isRegularFile(model.model());
    }

    @Override
    public LoadedModel load(ModelDescriptor model, LoadOptions options, ProgressListener progress) throws BackendException {
        if (!MlxFolder.is(model.model()) && (model.format() == null || !model.format().equalsIgnoreCase("gguf"))) {
            throw new BackendException("the mlx backend reads GGUF files and MLX-format folders (config.json, *.safetensors), not "
                    + model.format());
        }
        return load(model.model(), model.name(), progress == null ? ProgressListener.NONE : progress);
    }

    /** Loads a GGUF file or an MLX-format folder directly (tests, tools). */
    public LoadedModel load(Path path, String name, ProgressListener progress) throws BackendException {
        MlxRuntime rt = runtime;
        if (rt == null) throw new BackendException("the mlx backend is unavailable: " + status.detail());
        if (path != null && Files.isDirectory(path)) {
            if (!MlxFolder.is(path)) throw new BackendException(path + " is not an MLX-format model folder (config.json and *.safetensors)");
            LoadedModel m = MlxFolder.load(path, name, rt, architectures, models::remove, progress);
            models.add((MlxModel) m);
            return m;
        }
        if (path == null || !Files.isRegularFile(path)) throw new BackendException("model file " + path + " of " + name + " does not exist");
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
            if (!MlxWeights.SUPPORTED.contains(t.type())) {
                throw new BackendException("tensor " + t.name() + " of " + name + " is " + t.type().ggmlName() + "; the mlx backend reads "
                        + MlxWeights.SUPPORTED.stream().map(x -> x.ggmlName()).sorted().toList());
            }
        }
        Tokenizer tokenizer;
        try {
            tokenizer = GgufTokenizers.fromGguf(file);
        } catch (RuntimeException e) {
            throw new BackendException("the mlx backend cannot read the vocabulary of " + name + ": " + e.getMessage(), e);
        }
        progress.progress(0.1);
        MlxWeights weights;
        try {
            weights = rt.call(() -> {
                try {
                    return MlxWeights.load(file, path, rt.mlx(), progress);
                } catch (BackendException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
        } catch (RuntimeException e) {
            throw new BackendException("cannot load " + name + " into MLX: " + e.getMessage(), e);
        }
        try {
            MlxModel loaded = new MlxModel(name, rt, weights, architecture, tokenizer,
                    pass -> GraphModelInfo.of(file, pass, tokenizer), models::remove);
            models.add(loaded);
            return loaded;
        } catch (BackendException | RuntimeException e) {
            rt.run(weights::close);
            throw e;
        }
    }
}
