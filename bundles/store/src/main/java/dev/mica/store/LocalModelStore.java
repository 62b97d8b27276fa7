package dev.mica.store;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Quantizer;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.ModelStoreException.Kind;
import dev.mica.api.model.PullOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Models on disk in Ollama's layout: mica's own folder ({@code mica.models}, default
 * {@code ~/.mica/models}), written atomically so a reader never sees half a model, and an existing
 * Ollama store ({@code OLLAMA_MODELS}, default {@code ~/.ollama/models}) read beside it and never
 * written, so models a user already pulled with Ollama just work. A name in both is mica's.
 *
 * <p>Pulls come from an Ollama/OCI registry or from Hugging Face (see {@link Puller}); create can
 * quantize on import through a {@link Quantizer} service when a backend bundle offers one.
 */
@Component(service = ModelStore.class)
public final class LocalModelStore implements ModelStore {
    private static final System.Logger LOG = System.getLogger("mica.store");

    private final FolderViews views;
    private final ModelDir own;
    private final ModelDir ollama;
    private final Puller puller;
    private final List<Quantizer> quantizers = new CopyOnWriteArrayList<>();

    /** A store in {@code root} alone: no Ollama store beside it, pulls from Ollama's registry. */
    public LocalModelStore(Path root) {
        this(root, null, PullSettings.defaults(), Disk.REAL);
    }

    LocalModelStore(Path root, Path ollamaRoot, PullSettings settings, Disk disk) {
        this.views = new FolderViews(root.resolve("folders"));
        this.own = new ModelDir(root, true, views, disk);
        this.ollama = ollamaRoot == null || sameFolder(root, ollamaRoot) ? null : new ModelDir(ollamaRoot, false, views, Disk.REAL);
        this.puller = new Puller(own, ollama, settings, disk);
    }

    /**
     * The store at {@code mica.models} (env MICA_MODELS), default {@code ~/.mica/models}; Ollama's
     * store at {@code mica.ollama.models}, else env OLLAMA_MODELS, else {@code ~/.ollama/models}
     * ("none" turns it off); pulls from {@code mica.registry}, see {@link PullSettings#from}.
     */
    @Activate
    public LocalModelStore(BundleContext context) {
        this(Path.of(context.getProperty("mica.models") != null ? context.getProperty("mica.models")
                        : Path.of(System.getProperty("user.home"), ".mica", "models").toString()),
                ollamaRoot(context.getProperty("mica.ollama.models"), System.getenv("OLLAMA_MODELS")),
                settings(context), Disk.REAL);
        LOG.log(System.Logger.Level.INFO, "models in " + own.root()
                + (ollama != null ? ", and read-only in Ollama's store " + ollama.root() : "")
                + "; pulls from " + puller.settings().registry());
    }

    /** A bad setting falls back to the defaults, loudly: the store must come up to serve what is on disk. */
    private static PullSettings settings(BundleContext context) {
        try {
            return PullSettings.from(context::getProperty, System.getenv());
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "ignoring the pull settings, using the defaults: " + e.getMessage());
            return PullSettings.defaults();
        }
    }

    static Path ollamaRoot(String property, String env) {
        String v = property != null ? property : env;
        if (v == null) {
            Path p = Path.of(System.getProperty("user.home"), ".ollama", "models");
            return Files.isDirectory(p) ? p : null;
        }
        if (v.isBlank() || v.strip().equalsIgnoreCase("none")) return null;
        return Path.of(v.strip());
    }

    private static boolean sameFolder(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** One per format: the GGML bundle's for GGUF files, the MLX bundle's for safetensors folders. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindQuantizer(Quantizer q) {
        quantizers.add(q);
    }

    public void unbindQuantizer(Quantizer q) {
        quantizers.remove(q);
    }

    @Override
    public List<ModelDescriptor> list() {
        Map<String, ModelDescriptor> byName = new LinkedHashMap<>();
        own.list().forEach(d -> byName.put(d.name(), d));
        if (ollama != null) ollama.list().forEach(d -> byName.putIfAbsent(d.name(), d));
        List<ModelDescriptor> out = new ArrayList<>(byName.values());
        out.sort(Comparator.comparing(ModelDescriptor::modifiedAt).reversed());
        return out;
    }

    @Override
    public Optional<ModelDescriptor> find(String name) {
        ModelName n;
        try {
            n = ModelName.parse(name);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        Optional<ModelDescriptor> d = own.find(n);
        return d.isPresent() || ollama == null ? d : ollama.find(n);
    }

    @Override
    public ModelDescriptor pull(String name, PullOptions options, PullListener listener) throws ModelStoreException {
        ModelName n = parseOrInvalid(name);
        PullOptions o = options == null ? PullOptions.DEFAULT : options;
        try {
            puller.pull(n, o, listener == null ? PullListener.NONE : listener);
        } catch (Http.NotFoundException e) {
            throw new ModelStoreException(Kind.NOT_FOUND, e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelStoreException(Kind.IO, pullFailure(n, o, e), e);
        }
        return own.find(n).orElseThrow(() -> new ModelStoreException(Kind.IO, "model '" + n.display() + "' is unreadable after its pull"));
    }

    private String pullFailure(ModelName n, PullOptions options, IOException e) {
        if (e instanceof Http.FatalException || e instanceof Disk.DiskException || e instanceof Blobs.DigestMismatchException) {
            return "pull " + n.display() + ": " + e.getMessage();
        }
        if (Http.unreachable(e)) {
            PullSettings s = puller.settings();
            String where = (n.isHuggingFace() ? s.huggingFace() : Registry.baseFor(n, s, options.insecure())).toString();
            return "pull " + n.display() + ": cannot reach " + where + ": " + Http.reason(e);
        }
        return "pull " + n.display() + ": " + Http.reason(e);
    }

    @Override
    public ModelDescriptor create(CreateRequest req, StatusListener status) throws ModelStoreException {
        ModelName name = parseOrInvalid(req.name());
        List<String> pinned = new ArrayList<>();
        List<String> added = new ArrayList<>();
        boolean done = false;
        Path scratch = null;
        try {
            ModelDescriptor base = null;
            // a GGUF model's one model layer, or the named files of a model folder
            List<Manifest.Layer> weights;
            if (req.files() != null && !req.files().isEmpty()) {
                weights = modelFromBlobs(req.files(), added);
            } else if (req.from() == null || req.from().isBlank()) {
                throw new ModelStoreException(Kind.INVALID, "neither 'from' nor 'files' was given");
            } else if (looksLikePath(req.from())) {
                Path file = Path.of(expandHome(req.from()));
                if (!file.isAbsolute()) throw new ModelStoreException(Kind.INVALID, "'from' must be an absolute path or a model name: " + req.from());
                if (Files.isDirectory(file)) {
                    status.status("parsing model folder");
                    weights = importFolder(ModelFolder.files(file), added, status);
                } else if (!Files.isRegularFile(file)) {
                    throw new ModelStoreException(Kind.NOT_FOUND, "no such file: " + file);
                } else {
                    status.status("parsing model");
                    checkGguf(file);
                    status.status("copying file " + file.getFileName());
                    String digest = own.blobs().importFile(file);
                    weights = List.of(new Manifest.Layer(Manifest.MODEL, digest, Files.size(file)));
                }
            } else {
                base = find(req.from()).orElseThrow(() -> new ModelStoreException(Kind.NOT_FOUND, "model '" + req.from() + "' not found"));
                weights = baseWeights(ModelName.parse(req.from()), base);
            }
            weights.forEach(l -> pin(l.digest(), pinned));
            if (req.quantize() != null && !req.quantize().isBlank()) {
                scratch = own.blobs().dir().resolve(".quantize-" + System.nanoTime() + ".tmp");
                weights = quantize(weights, req.quantize().strip(), scratch, added, status);
                weights.forEach(l -> pin(l.digest(), pinned));
            }
            boolean folder = weights.stream().anyMatch(Manifest.Layer::isFolderFile);
            List<Manifest.Layer> layers = new ArrayList<>(weights);
            String template = req.template() != null ? req.template() : base == null ? null : base.template();
            String system = req.system() != null ? req.system() : base == null ? null : base.system();
            Map<String, Object> params = new LinkedHashMap<>(base == null ? Map.of() : base.parameters());
            if (req.parameters() != null) params.putAll(req.parameters());
            List<ModelDescriptor.Message> messages = req.messages() != null ? req.messages() : base == null ? List.of() : base.messages();
            if (template != null) layers.add(textLayer(Manifest.TEMPLATE, template, pinned));
            if (system != null) layers.add(textLayer(Manifest.SYSTEM, system, pinned));
            if (!params.isEmpty()) layers.add(jsonLayer(Manifest.PARAMS, params, pinned));
            if (!messages.isEmpty()) layers.add(jsonLayer(Manifest.MESSAGES, messages, pinned));
            // as Ollama: a create adds its licenses to those of the model it starts from
            Set<String> licenses = new LinkedHashSet<>(base == null ? List.of() : base.licenses());
            if (req.licenses() != null) licenses.addAll(req.licenses());
            for (String license : licenses) layers.add(textLayer(Manifest.LICENSE, license, pinned));
            status.status("writing manifest");
            String format = folder ? "safetensors" : ModelDir.detectFormat(own.blobs().path(weights.getFirst().digest()));
            Manifest.Layer config = jsonLayer(Manifest.CONFIG, Map.of("model_format", format, "os", "linux",
                    "rootfs", Map.of("type", "layers", "diff_ids", layers.stream().map(Manifest.Layer::digest).toList())), pinned);
            own.write(name, Manifest.JSON.writeValueAsBytes(new Manifest(2, Manifest.DOCKER_MANIFEST, config, layers)));
            done = true;
            status.status("success");
            return own.find(name).orElseThrow(() -> new ModelStoreException(Kind.IO, "model vanished after create"));
        } catch (Blobs.DigestMismatchException | ModelFolder.Invalid e) {
            throw new ModelStoreException(Kind.INVALID, "create failed: " + e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new ModelStoreException(Kind.IO, "create failed: " + e.getMessage(), e);
        } finally {
            try {
                if (scratch != null) deleteTree(scratch);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove " + scratch + ": " + e.getMessage());
            }
            pinned.forEach(own.blobs()::unpin);
            // a failed create leaves none of the blobs it added (the files of a folder it took, a quantizer's output)
            if (!done) removeQuietly(added);
        }
    }

    private void removeQuietly(List<String> added) {
        try {
            own.removeIfUnreferenced(added);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove the blobs of a failed create: " + e.getMessage());
        }
    }

    private void pin(String digest, List<String> pinned) {
        own.blobs().pin(digest);
        pinned.add(digest);
    }

    /**
     * A model folder's files as blobs, each a layer named by its file name. The files are checked
     * first, so a folder that is not a model's, or a damaged one, leaves nothing behind.
     */
    private List<Manifest.Layer> importFolder(Map<String, Path> files, List<String> added, StatusListener status) throws IOException {
        ModelFolder.check(files);
        List<Manifest.Layer> layers = new ArrayList<>();
        for (var e : files.entrySet()) {
            status.status("copying file " + e.getKey());
            String digest = own.blobs().importFile(e.getValue(), added);
            layers.add(new Manifest.Layer(ModelFolder.mediaType(e.getKey()), digest, Files.size(e.getValue()), e.getKey()));
        }
        return layers;
    }

    /** The weights of an existing model, taken into mica's store when they are Ollama's. */
    private List<Manifest.Layer> baseWeights(ModelName n, ModelDescriptor base) throws IOException {
        ModelDir dir = own.has(n) ? own : ollama;
        List<Manifest.Layer> files = dir == null ? List.of() : dir.manifest(n).map(Manifest::folderFiles).orElse(List.of());
        if (files.isEmpty()) {
            own.blobs().adopt(base.model(), base.digest());
            return List.of(new Manifest.Layer(Manifest.MODEL, base.digest(), base.size()));
        }
        for (Manifest.Layer l : files) {
            if (dir != own) own.blobs().adopt(dir.blobs().path(l.digest()), l.digest());
        }
        return files;
    }

    /**
     * Rewrites the weights through a quantizer service for their format into new blobs. The store
     * knows no backend: without a quantizer for the format the request is refused. A model folder
     * goes to the quantizer as a folder of links; what it writes replaces those files, and the
     * weights all together when it writes any.
     */
    private List<Manifest.Layer> quantize(List<Manifest.Layer> weights, String type, Path scratch, List<String> added, StatusListener status)
            throws ModelStoreException, IOException {
        boolean folder = weights.stream().anyMatch(Manifest.Layer::isFolderFile);
        String format = folder ? "safetensors" : ModelDir.detectFormat(own.blobs().path(weights.getFirst().digest()));
        List<Quantizer> all = List.copyOf(quantizers);
        if (all.isEmpty()) {
            throw new ModelStoreException(Kind.INVALID, "cannot quantize to " + type + ": no quantizer is installed (the "
                    + (folder ? "mlx" : "ggml") + " backend bundle provides one)");
        }
        Quantizer q = all.stream().filter(x -> x.formats().contains(format)).findFirst().orElseThrow(() ->
                new ModelStoreException(Kind.INVALID, "cannot quantize a " + format + " model: the installed quantizers read "
                        + all.stream().flatMap(x -> x.formats().stream()).sorted().distinct().toList()));
        String canonical = q.types().stream().filter(t -> t.equalsIgnoreCase(type)).findFirst().orElseThrow(() ->
                new ModelStoreException(Kind.INVALID, "unknown quantization type '" + ModelName.printable(type) + "'; known: "
                        + String.join(", ", q.types().stream().sorted().toList())));
        status.status("quantizing model to " + canonical);
        Files.createDirectories(scratch);
        try {
            if (!folder) {
                Path output = scratch.resolve("model");
                q.quantize(own.blobs().path(weights.getFirst().digest()), output, canonical);
                if (!Files.isRegularFile(output)) throw new ModelStoreException(Kind.IO, "the quantizer wrote no file");
                status.status("verifying conversion");
                String digest = own.blobs().importFile(output, added);
                return List.of(new Manifest.Layer(Manifest.MODEL, digest, Files.size(own.blobs().path(digest))));
            }
            Path in = Files.createDirectory(scratch.resolve("in")), out = Files.createDirectory(scratch.resolve("out"));
            Map<String, Path> files = new TreeMap<>();
            for (Manifest.Layer l : weights) {
                Path blob = own.blobs().path(l.digest()).toAbsolutePath();
                String n = FolderViews.fileName(l);
                if (n.indexOf('/') > 0) Files.createDirectories(in.resolve(n).getParent());
                Files.createSymbolicLink(in.resolve(n), blob);
                files.put(n, blob);
            }
            q.quantize(in, out, canonical);
            Map<String, Path> written = ModelFolder.files(out);
            if (written.keySet().stream().anyMatch(ModelFolder::isWeights)) {
                files.keySet().removeIf(n -> ModelFolder.isWeights(n) || n.equals("model.safetensors.index.json"));
            }
            files.putAll(written);
            status.status("verifying conversion");
            return importFolder(files, added, status);
        } catch (BackendException | IllegalArgumentException e) {
            throw new ModelStoreException(Kind.INVALID, "cannot quantize to " + canonical + ": " + e.getMessage(), e);
        }
    }

    private List<Manifest.Layer> modelFromBlobs(Map<String, String> files, List<String> added) throws ModelStoreException, IOException {
        boolean folder = files.keySet().stream().anyMatch(n -> n.endsWith(".safetensors"));
        Map<String, Path> paths = new TreeMap<>();
        for (var e : files.entrySet()) {
            String digest;
            try {
                digest = Blobs.normalize(e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new ModelStoreException(Kind.INVALID, ex.getMessage());
            }
            if (folder && !ModelFolder.takes(e.getKey())) {
                throw new ModelStoreException(Kind.INVALID, "'" + ModelName.printable(e.getKey()) + "' is not a file a model folder is taken with"
                        + " (*.safetensors, *.json, chat_template.jinja, tokenizer.model)");
            }
            if (!own.blobs().has(digest)) {
                if (ollama == null || !ollama.blobs().has(digest)) {
                    throw new ModelStoreException(Kind.INVALID, "blob " + digest + " for '" + e.getKey() + "' was not uploaded");
                }
                own.blobs().adopt(ollama.blobs().path(digest), digest);
            }
            if (folder) {
                paths.put(e.getKey(), own.blobs().path(digest));
            } else if (e.getKey().endsWith(".gguf") || files.size() == 1) {
                checkGguf(own.blobs().path(digest));
                return List.of(new Manifest.Layer(Manifest.MODEL, digest, Files.size(own.blobs().path(digest))));
            }
        }
        if (folder) return importFolder(paths, added, StatusListener.NONE);
        throw new ModelStoreException(Kind.INVALID, "no .gguf or .safetensors file among " + files.keySet());
    }

    private static void checkGguf(Path file) throws ModelStoreException {
        if (!"gguf".equals(ModelDir.detectFormat(file))) {
            throw new ModelStoreException(Kind.INVALID, file.getFileName() + " is not a GGUF file (bad magic)");
        }
    }

    /** Deletes a scratch folder; links in it go, never what they point at. */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static boolean looksLikePath(String from) {
        return from.startsWith("/") || from.startsWith("~") || from.startsWith(".") || from.endsWith(".gguf") || from.contains("\\");
    }

    private static String expandHome(String p) {
        return p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
    }

    private Manifest.Layer textLayer(String mediaType, String text, List<String> pinned) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        String digest = own.blobs().putBytes(data);
        pin(digest, pinned);
        return new Manifest.Layer(mediaType, digest, data.length);
    }

    private Manifest.Layer jsonLayer(String mediaType, Object value, List<String> pinned) throws IOException {
        byte[] data = Manifest.JSON.writeValueAsBytes(value);
        String digest = own.blobs().putBytes(data);
        pin(digest, pinned);
        return new Manifest.Layer(mediaType, digest, data.length);
    }

    @Override
    public void copy(String source, String target) throws ModelStoreException {
        ModelName from = parseOrInvalid(source);
        ModelName to = parseOrInvalid(target);
        ModelDir dir = own.has(from) ? own : ollama != null && ollama.has(from) ? ollama : null;
        if (dir == null) throw new ModelStoreException(Kind.NOT_FOUND, "model '" + source + "' not found");
        List<String> pinned = new ArrayList<>();
        try {
            Manifest m = dir.manifest(from).orElseThrow(() -> new ModelStoreException(Kind.NOT_FOUND, "model '" + source + "' not found"));
            for (Manifest.Layer l : m.blobs()) {
                pin(l.digest(), pinned);
                // A copy of one of Ollama's models gets its own blobs: it must outlive an `ollama rm`.
                if (dir != own) own.blobs().adopt(dir.blobs().path(l.digest()), l.digest());
            }
            own.write(to, Manifest.JSON.writeValueAsBytes(m));
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelStoreException(Kind.IO, "copy failed: " + e.getMessage(), e);
        } finally {
            pinned.forEach(own.blobs()::unpin);
        }
    }

    @Override
    public boolean delete(String name) throws ModelStoreException {
        ModelName n = parseOrInvalid(name);
        try {
            if (own.delete(n)) {
                own.removeUnreferencedBlobs();
                removeUnusedViews();
                return true;
            }
        } catch (IOException e) {
            throw new ModelStoreException(Kind.IO, "delete failed: " + e.getMessage(), e);
        }
        if (ollama != null && ollama.has(n)) {
            throw new ModelStoreException(Kind.CONFLICT, "model '" + n.display() + "' is in Ollama's store (" + ollama.root()
                    + "), which mica only reads: remove it with `ollama rm " + n.display() + "`");
        }
        return false;
    }

    /** Folders of models no longer in either store go; views of Ollama's models stay while Ollama has them. */
    private void removeUnusedViews() throws IOException {
        Set<String> live = own.liveViews();
        Set<String> theirs = ollama == null ? Set.of() : ollama.liveViews();
        if (live == null || theirs == null) return;
        live.addAll(theirs);
        views.retain(live);
    }

    @Override
    public boolean hasBlob(String digest) {
        try {
            return own.blobs().has(digest) || ollama != null && ollama.blobs().has(digest);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public void putBlob(String digest, InputStream content) throws ModelStoreException, IOException {
        try {
            own.blobs().put(content, Blobs.normalize(digest));
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException(Kind.INVALID, e.getMessage());
        } catch (Blobs.DigestMismatchException e) {
            throw new ModelStoreException(Kind.INVALID, e.getMessage());
        } catch (Disk.DiskException e) {
            throw new ModelStoreException(Kind.IO, e.getMessage(), e);
        }
    }

    private static ModelName parseOrInvalid(String name) throws ModelStoreException {
        try {
            return ModelName.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException(Kind.INVALID, e.getMessage());
        }
    }
}
