package dev.mica.store;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mica.api.model.ModelDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One folder in Ollama's layout: {@code manifests/<host>/<namespace>/<model>/<tag>} JSON files
 * whose layers point at {@code blobs/sha256-<hex>}. mica's own folder is written; Ollama's is only
 * ever read, which {@link #writable} guards.
 */
final class ModelDir {
    private static final System.Logger LOG = System.getLogger("mica.store");

    private final Path root;
    private final Blobs blobs;
    private final boolean writable;
    private final FolderViews views;

    /** {@code views}: where the folders of safetensors models are made (in mica's store, also for Ollama's). */
    ModelDir(Path root, boolean writable, FolderViews views, Disk disk) {
        this.root = root;
        this.blobs = new Blobs(root.resolve("blobs"), disk);
        this.writable = writable;
        this.views = views;
    }

    Path root() {
        return root;
    }

    Blobs blobs() {
        return blobs;
    }

    boolean writable() {
        return writable;
    }

    Path manifestPath(ModelName n) {
        return root.resolve("manifests").resolve(n.host()).resolve(n.namespace()).resolve(n.model()).resolve(n.tag());
    }

    boolean has(ModelName n) {
        return Files.isRegularFile(manifestPath(n));
    }

    Optional<Manifest> manifest(ModelName n) throws IOException {
        Path f = manifestPath(n);
        if (!Files.isRegularFile(f)) return Optional.empty();
        return Optional.of(Manifest.parse(Files.readAllBytes(f)));
    }

    Optional<ModelDescriptor> find(ModelName n) {
        Path f = manifestPath(n);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            return Optional.of(describe(n, f));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "unreadable manifest " + f + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** Every readable model; unreadable manifests are logged and left out. */
    List<ModelDescriptor> list() {
        List<ModelDescriptor> out = new ArrayList<>();
        for (var e : names().entrySet()) {
            try {
                out.add(describe(e.getKey(), e.getValue()));
            } catch (IOException | RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "skipping unreadable manifest " + e.getValue() + ": " + ex.getMessage());
            }
        }
        return out;
    }

    /** Manifest files by name; files whose path is not a valid name are skipped. */
    private Map<ModelName, Path> names() {
        Path manifests = root.resolve("manifests");
        Map<ModelName, Path> out = new LinkedHashMap<>();
        if (!Files.isDirectory(manifests)) return out;
        try (Stream<Path> files = Files.walk(manifests, 4)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path rel = manifests.relativize(f);
                if (rel.getNameCount() != 4 || rel.getFileName().toString().startsWith(".")) continue;
                try {
                    ModelName n = ModelName.parse(rel.getName(0) + "/" + rel.getName(1) + "/" + rel.getName(2) + ":" + rel.getName(3));
                    if (manifestPath(n).equals(f)) out.put(n, f);
                } catch (IllegalArgumentException e) {
                    LOG.log(System.Logger.Level.DEBUG, "not a model name: " + rel);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list " + manifests + ": " + e.getMessage());
        }
        return out;
    }

    private ModelDescriptor describe(ModelName name, Path manifestFile) throws IOException {
        Manifest m = Manifest.parse(Files.readAllBytes(manifestFile));
        Path model = null;
        String digest = null;
        long size = 0;
        String template = null, system = null;
        Map<String, Object> params = Map.of();
        List<ModelDescriptor.Message> messages = List.of();
        List<String> licenses = new ArrayList<>();
        for (Manifest.Layer l : m.layers()) {
            if (l.mediaType() == null) continue;
            switch (l.mediaType()) {
                case Manifest.MODEL -> {
                    if (model == null) {
                        model = blobs.path(l.digest());
                        digest = Blobs.normalize(l.digest());
                        size = l.size();
                    }
                }
                case Manifest.TEMPLATE -> template = readText(l);
                case Manifest.SYSTEM -> system = readText(l);
                case Manifest.LICENSE -> licenses.add(readText(l));
                case Manifest.PARAMS -> params = Manifest.JSON.readValue(blobs.path(l.digest()).toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
                case Manifest.MESSAGES -> messages = Manifest.JSON.readValue(blobs.path(l.digest()).toFile(), new TypeReference<List<ModelDescriptor.Message>>() {});
                default -> { }
            }
        }
        String format = null;
        List<Manifest.Layer> files = m.folderFiles();
        if (model == null && files.stream().anyMatch(l -> Manifest.TENSOR.equals(l.mediaType()))) {
            model = views.view(files, blobs);
            digest = "sha256:" + FolderViews.key(files);
            size = files.stream().mapToLong(Manifest.Layer::size).sum();
            format = "safetensors";
        }
        if (model == null) throw new IOException("manifest has no model layer");
        if (format == null && !Files.isRegularFile(model)) throw new IOException("the model blob " + model.getFileName() + " is missing");
        Object backend = params.get("backend");
        return new ModelDescriptor(name.display(), format != null ? format : detectFormat(model), model, digest, size,
                Files.getLastModifiedTime(manifestFile).toInstant(), template, system, params, messages,
                backend instanceof String s ? s : null, licenses);
    }

    private String readText(Manifest.Layer l) throws IOException {
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

    /** Writes a manifest atomically: a reader sees the old one or the new one, never half of one. */
    void write(ModelName name, byte[] manifest) throws IOException {
        requireWritable();
        Path target = manifestPath(name);
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".manifest-", ".tmp");
        try {
            Files.write(tmp, manifest);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    boolean delete(ModelName name) throws IOException {
        requireWritable();
        return Files.deleteIfExists(manifestPath(name));
    }

    /** Blobs no manifest names any more are removed, as Ollama's prune does. */
    void removeUnreferencedBlobs() throws IOException {
        requireWritable();
        Set<String> live = liveBlobs();
        if (live != null) blobs.removeAllBut(live);
    }

    /** Of these blobs (written by a create that failed), those no manifest names are removed. */
    void removeIfUnreferenced(List<String> digests) throws IOException {
        requireWritable();
        Set<String> live = digests.isEmpty() ? null : liveBlobs();
        if (live != null) blobs.remove(digests, live);
    }

    /** Null when a manifest is unreadable: it might reference anything. */
    private Set<String> liveBlobs() {
        Set<String> live = new HashSet<>();
        for (Path f : names().values()) {
            try {
                Manifest.parse(Files.readAllBytes(f)).blobs().forEach(l -> live.add(Blobs.normalize(l.digest())));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return live;
    }

    /** The folder views this store's models use; null when a manifest is unreadable (it might use any). */
    Set<String> liveViews() {
        Set<String> live = new HashSet<>();
        for (Path f : names().values()) {
            try {
                List<Manifest.Layer> files = Manifest.parse(Files.readAllBytes(f)).folderFiles();
                if (!files.isEmpty()) live.add(FolderViews.key(files));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return live;
    }

    private void requireWritable() {
        if (!writable) throw new IllegalStateException("refusing to write into the read-only store " + root);
    }
}
