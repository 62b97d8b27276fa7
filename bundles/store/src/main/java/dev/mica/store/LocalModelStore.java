package dev.mica.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.ModelStoreException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Models on disk in Ollama's layout: {@code manifests/<host>/<namespace>/<model>/<tag>} JSON files
 * whose layers point at {@code blobs/sha256-<hex>}. Manifests are written atomically, so a reader
 * never sees half a model.
 */
@Component(service = ModelStore.class)
public final class LocalModelStore implements ModelStore {
    static final String MODEL = "application/vnd.ollama.image.model";
    static final String TEMPLATE = "application/vnd.ollama.image.template";
    static final String SYSTEM = "application/vnd.ollama.image.system";
    static final String PARAMS = "application/vnd.ollama.image.params";
    static final String MESSAGES = "application/vnd.ollama.image.messages";
    static final String CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final Blobs blobs;

    public LocalModelStore(Path root) {
        this.root = root;
        this.blobs = new Blobs(root.resolve("blobs"));
    }

    /** The store at {@code mica.models} (env MICA_MODELS), default {@code ~/.mica/models}. */
    @Activate
    public LocalModelStore(BundleContext context) {
        this(context.getProperty("mica.models") != null ? Path.of(context.getProperty("mica.models"))
                : Path.of(System.getProperty("user.home"), ".mica", "models"));
        System.getLogger("mica.store").log(System.Logger.Level.INFO, "models in " + root);
    }

    record Layer(String mediaType, String digest, long size) {}

    record Manifest(int schemaVersion, String mediaType, Layer config, List<Layer> layers) {}

    @Override
    public List<ModelDescriptor> list() {
        Path manifests = root.resolve("manifests");
        if (!Files.isDirectory(manifests)) return List.of();
        List<ModelDescriptor> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(manifests, 4)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path rel = manifests.relativize(f);
                if (rel.getNameCount() != 4) continue;
                try {
                    ModelName name = new ModelName(rel.getName(0).toString(), rel.getName(1).toString(), rel.getName(2).toString(), rel.getName(3).toString());
                    out.add(describe(name, f));
                } catch (IOException | RuntimeException e) {
                    System.getLogger("mica.store").log(System.Logger.Level.WARNING, "skipping unreadable manifest " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            return out;
        }
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
        Path f = manifestPath(n);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            return Optional.of(describe(n, f));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Path manifestPath(ModelName n) {
        return root.resolve("manifests").resolve(n.host()).resolve(n.namespace()).resolve(n.model()).resolve(n.tag());
    }

    private ModelDescriptor describe(ModelName name, Path manifestFile) throws IOException {
        Manifest m = JSON.readValue(manifestFile.toFile(), Manifest.class);
        Path model = null;
        String digest = null;
        long size = 0;
        String template = null, system = null;
        Map<String, Object> params = Map.of();
        List<ModelDescriptor.Message> messages = List.of();
        for (Layer l : m.layers()) {
            switch (l.mediaType()) {
                case MODEL -> { model = blobs.path(l.digest()); digest = l.digest(); size = l.size(); }
                case TEMPLATE -> template = readText(l);
                case SYSTEM -> system = readText(l);
                case PARAMS -> params = JSON.readValue(blobs.path(l.digest()).toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
                case MESSAGES -> messages = JSON.readValue(blobs.path(l.digest()).toFile(), new TypeReference<List<ModelDescriptor.Message>>() {});
                default -> { }
            }
        }
        if (model == null) throw new IOException("manifest has no model layer");
        Object backend = params.get("backend");
        return new ModelDescriptor(name.display(), detectFormat(model), model, digest, size,
                Files.getLastModifiedTime(manifestFile).toInstant(), template, system, params, messages,
                backend instanceof String s ? s : null);
    }

    private String readText(Layer l) throws IOException {
        return Files.readString(blobs.path(l.digest()), StandardCharsets.UTF_8);
    }

    static String detectFormat(Path model) {
        try (InputStream in = Files.newInputStream(model)) {
            byte[] magic = in.readNBytes(4);
            if (magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F') return "gguf";
        } catch (IOException e) {
            return "unknown";
        }
        return "unknown";
    }

    @Override
    public ModelDescriptor create(CreateRequest req, StatusListener status) throws ModelStoreException {
        ModelName name = parseOrInvalid(req.name());
        try {
            List<Layer> layers = new ArrayList<>();
            ModelDescriptor base = null;
            Layer model;
            if (req.files() != null && !req.files().isEmpty()) {
                model = modelFromBlobs(req.files());
            } else if (req.from() == null || req.from().isBlank()) {
                throw new ModelStoreException(Kind.INVALID, "neither 'from' nor 'files' was given");
            } else if (looksLikePath(req.from())) {
                Path file = Path.of(expandHome(req.from()));
                if (!file.isAbsolute()) throw new ModelStoreException(Kind.INVALID, "'from' must be an absolute path or a model name: " + req.from());
                if (!Files.isRegularFile(file)) throw new ModelStoreException(Kind.NOT_FOUND, "no such file: " + file);
                status.status("parsing model");
                checkGguf(file);
                status.status("copying file " + file.getFileName());
                String digest = blobs.importFile(file);
                model = new Layer(MODEL, digest, Files.size(file));
            } else {
                base = find(req.from()).orElseThrow(() -> new ModelStoreException(Kind.NOT_FOUND, "model '" + req.from() + "' not found"));
                model = new Layer(MODEL, base.digest(), base.size());
            }
            layers.add(model);
            String template = req.template() != null ? req.template() : base == null ? null : base.template();
            String system = req.system() != null ? req.system() : base == null ? null : base.system();
            Map<String, Object> params = new LinkedHashMap<>(base == null ? Map.of() : base.parameters());
            if (req.parameters() != null) params.putAll(req.parameters());
            List<ModelDescriptor.Message> messages = req.messages() != null ? req.messages() : base == null ? List.of() : base.messages();
            if (template != null) layers.add(textLayer(TEMPLATE, template));
            if (system != null) layers.add(textLayer(SYSTEM, system));
            if (!params.isEmpty()) layers.add(jsonLayer(PARAMS, params));
            if (!messages.isEmpty()) layers.add(jsonLayer(MESSAGES, messages));
            status.status("writing manifest");
            Layer config = jsonLayer(CONFIG, Map.of("model_format", detectFormat(blobs.path(model.digest())), "os", "linux", "rootfs", Map.of("type", "layers", "diff_ids", layers.stream().map(Layer::digest).toList())));
            writeManifest(name, new Manifest(2, MANIFEST, config, layers));
            status.status("success");
            return find(name.display()).orElseThrow(() -> new ModelStoreException(Kind.IO, "model vanished after create"));
        } catch (IOException e) {
            throw new ModelStoreException(Kind.IO, "create failed: " + e.getMessage(), e);
        }
    }

    private Layer modelFromBlobs(Map<String, String> files) throws ModelStoreException, IOException {
        for (var e : files.entrySet()) {
            String digest;
            try {
                digest = Blobs.normalize(e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new ModelStoreException(Kind.INVALID, ex.getMessage());
            }
            if (!blobs.has(digest)) throw new ModelStoreException(Kind.INVALID, "blob " + digest + " for '" + e.getKey() + "' was not uploaded");
            if (e.getKey().endsWith(".gguf") || files.size() == 1) {
                checkGguf(blobs.path(digest));
                return new Layer(MODEL, digest, Files.size(blobs.path(digest)));
            }
        }
        throw new ModelStoreException(Kind.INVALID, "no .gguf file among " + files.keySet());
    }

    private static void checkGguf(Path file) throws ModelStoreException {
        if (!"gguf".equals(detectFormat(file))) {
            throw new ModelStoreException(Kind.INVALID, file.getFileName() + " is not a GGUF file (bad magic)");
        }
    }

    private static boolean looksLikePath(String from) {
        return from.startsWith("/") || from.startsWith("~") || from.startsWith(".") || from.endsWith(".gguf") || from.contains("\\");
    }

    private static String expandHome(String p) {
        return p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
    }

    private Layer textLayer(String mediaType, String text) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        return new Layer(mediaType, blobs.putBytes(data), data.length);
    }

    private Layer jsonLayer(String mediaType, Object value) throws IOException {
        byte[] data = JSON.writeValueAsBytes(value);
        return new Layer(mediaType, blobs.putBytes(data), data.length);
    }

    private void writeManifest(ModelName name, Manifest manifest) throws IOException {
        Path target = manifestPath(name);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".manifest-", ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), manifest);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void copy(String source, String target) throws ModelStoreException {
        ModelName from = parseOrInvalid(source);
        ModelName to = parseOrInvalid(target);
        Path src = manifestPath(from);
        if (!Files.isRegularFile(src)) throw new ModelStoreException(Kind.NOT_FOUND, "model '" + source + "' not found");
        try {
            writeManifest(to, JSON.readValue(src.toFile(), Manifest.class));
        } catch (IOException e) {
            throw new ModelStoreException(Kind.IO, "copy failed: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(String name) throws ModelStoreException {
        ModelName n = parseOrInvalid(name);
        Path f = manifestPath(n);
        try {
            if (!Files.deleteIfExists(f)) return false;
            removeUnreferencedBlobs();
            return true;
        } catch (IOException e) {
            throw new ModelStoreException(Kind.IO, "delete failed: " + e.getMessage(), e);
        }
    }

    /** Blobs no manifest names any more are removed, as Ollama's prune does. */
    private void removeUnreferencedBlobs() throws IOException {
        Set<String> live = new HashSet<>();
        Path manifests = root.resolve("manifests");
        if (Files.isDirectory(manifests)) {
            try (Stream<Path> files = Files.walk(manifests)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    try {
                        Manifest m = JSON.readValue(f.toFile(), Manifest.class);
                        if (m.config() != null) live.add(m.config().digest());
                        m.layers().forEach(l -> live.add(l.digest()));
                    } catch (IOException e) {
                        return; // an unreadable manifest might reference anything: keep all blobs
                    }
                }
            }
        }
        Path dir = root.resolve("blobs");
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path b : files.toList()) {
                String fn = b.getFileName().toString();
                if (fn.startsWith("sha256-") && !live.contains(fn.replace('-', ':'))) {
                    Files.deleteIfExists(b);
                }
            }
        }
    }

    @Override
    public boolean hasBlob(String digest) {
        try {
            return blobs.has(digest);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public void putBlob(String digest, InputStream content) throws ModelStoreException, IOException {
        try {
            blobs.put(content, Blobs.normalize(digest));
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException(Kind.INVALID, e.getMessage());
        } catch (Blobs.DigestMismatchException e) {
            throw new ModelStoreException(Kind.INVALID, e.getMessage());
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
