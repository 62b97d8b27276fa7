package dev.mica.store;

import dev.mica.api.model.ModelStore.PullListener;
import dev.mica.api.model.PullOptions;
import dev.mica.api.model.PullProgress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pull: the manifest (from a registry, or made up for a Hugging Face file), every blob it names
 * (already here, taken from Ollama's store, or downloaded and verified), then the manifest, written
 * last and atomically, so the model appears whole or not at all. Progress uses Ollama's statuses:
 * "pulling manifest", "pulling <12 hex>" with digest/total/completed, "verifying sha256 digest",
 * "writing manifest", "success".
 */
final class Puller {
    private final ModelDir own;
    private final ModelDir ollama;
    private final PullSettings settings;
    private final Http http;
    private final BlobDownload downloads;

    Puller(ModelDir own, ModelDir ollama, PullSettings settings, Disk disk) {
        this.own = own;
        this.ollama = ollama;
        this.settings = settings;
        this.http = new Http(settings.connectTimeout());
        this.downloads = new BlobDownload(own.blobs(), settings, disk);
    }

    PullSettings settings() {
        return settings;
    }

    void pull(ModelName name, PullOptions options, PullListener listener) throws IOException {
        listener.progress(PullProgress.status("pulling manifest"));
        if (name.isHuggingFace()) {
            pullHuggingFace(name, listener);
        } else {
            pullFromRegistry(name, options, listener);
        }
        listener.progress(PullProgress.status("success"));
    }

    private void pullFromRegistry(ModelName name, PullOptions options, PullListener listener) throws IOException {
        Registry registry = new Registry(http, Registry.baseFor(name, settings, options.insecure()));
        byte[] raw = registry.manifest(name);
        Manifest manifest = validate(raw, registry);
        List<String> pinned = pin(manifest.blobs());
        try {
            for (Manifest.Layer l : manifest.blobs()) {
                fetch(l.digest(), l.size(), registry.blob(name, l.digest()), listener);
            }
            listener.progress(PullProgress.status("writing manifest"));
            own.write(name, raw);
        } finally {
            pinned.forEach(own.blobs()::unpin);
        }
    }

    private void pullHuggingFace(ModelName name, PullListener listener) throws IOException {
        HuggingFace hf = new HuggingFace(http, settings.huggingFace(), settings.huggingFaceToken());
        HuggingFace.GgufFile file = hf.resolve(name);
        own.blobs().pin(file.digest());
        try {
            fetch(file.digest(), file.size(), hf.source(name, file), listener);
            byte[] config = Manifest.JSON.writeValueAsBytes(Map.of("model_format", "gguf", "os", "linux",
                    "source", "hf.co/" + name.repository() + "/" + file.path(),
                    "rootfs", Map.of("type", "layers", "diff_ids", List.of(file.digest()))));
            String configDigest = own.blobs().putBytes(config);
            own.blobs().pin(configDigest);
            try {
                Manifest m = new Manifest(2, Manifest.DOCKER_MANIFEST, new Manifest.Layer(Manifest.CONFIG, configDigest, config.length),
                        List.of(new Manifest.Layer(Manifest.MODEL, file.digest(), file.size())));
                listener.progress(PullProgress.status("writing manifest"));
                own.write(name, Manifest.JSON.writeValueAsBytes(m));
            } finally {
                own.blobs().unpin(configDigest);
            }
        } finally {
            own.blobs().unpin(file.digest());
        }
    }

    /** A blob already here, linked from Ollama's store, or downloaded; reported under Ollama's status. */
    private void fetch(String digest, long size, Http.RangeSource source, PullListener listener) throws IOException {
        String d = Blobs.normalize(digest);
        String status = "pulling " + d.substring(7, 19);
        if (own.blobs().has(d)) {
            listener.progress(new PullProgress(status, d, size, size));
            return;
        }
        if (ollama != null && ollama.blobs().has(d)) {
            listener.progress(new PullProgress(status, d, size, 0));
            own.blobs().adopt(ollama.blobs().path(d), d);
            listener.progress(new PullProgress(status, d, size, size));
            return;
        }
        downloads.fetch(d, size, source, new BlobDownload.Listener() {
            @Override
            public void completed(long bytes) {
                listener.progress(new PullProgress(status, d, size, bytes));
            }

            @Override
            public void verifying() {
                listener.progress(PullProgress.status("verifying sha256 digest"));
            }
        });
    }

    /** A manifest we can store: parseable, with a model layer, every digest well-formed and every size sane. */
    private static Manifest validate(byte[] raw, Registry registry) throws IOException {
        Manifest m;
        try {
            m = Manifest.parse(raw);
        } catch (IOException e) {
            throw new Http.FatalException("the registry at " + registry.base() + " sent a manifest that is not JSON: " + e.getMessage());
        }
        if (m.model() == null) {
            throw new Http.FatalException("the registry at " + registry.base() + " sent a manifest without a model layer");
        }
        for (Manifest.Layer l : m.blobs()) {
            try {
                Blobs.normalize(l.digest());
            } catch (IllegalArgumentException e) {
                throw new Http.FatalException("the registry at " + registry.base() + " sent a manifest with an " + e.getMessage());
            }
            if (l.size() < 0 || l.size() > (1L << 42)) {
                throw new Http.FatalException("the registry at " + registry.base() + " sent a manifest with a layer of " + l.size() + " bytes");
            }
        }
        return m;
    }

    private List<String> pin(List<Manifest.Layer> layers) {
        List<String> pinned = new ArrayList<>();
        for (Manifest.Layer l : layers) {
            own.blobs().pin(l.digest());
            pinned.add(l.digest());
        }
        return pinned;
    }
}
