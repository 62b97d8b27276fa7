package dev.mica.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.PullOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An Ollama store laid out as Ollama lays it out (manifests/<host>/<namespace>/<model>/<tag>,
 * blobs/sha256-<hex>, a partial download, a layer with Ollama's "from" field, licenses, an hf.co
 * model), read beside mica's own store and never written.
 */
class OllamaStoreTest {
    private static final String GO_TEMPLATE = "{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
            + "<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    private static final String PARAMS = "{\"stop\":[\"<|start_header_id|>\",\"<|end_header_id|>\",\"<|eot_id|>\"],\"temperature\":0.6,\"top_p\":0.9}";

    @TempDir Path dir;
    private Path ollama;
    private byte[] weights;

    private Path mica() {
        return dir.resolve("mica");
    }

    private String blob(byte[] data) throws IOException {
        String digest = Blobs.digestOf(data);
        Path p = ollama.resolve("blobs").resolve(digest.replace(':', '-'));
        Files.createDirectories(p.getParent());
        Files.write(p, data);
        return digest;
    }

    private static String layer(String mediaType, String digest, long size, String from) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + (from == null ? "" : ",\"from\":\"" + from + "\"") + "}";
    }

    private void manifest(String host, String namespace, String model, String tag, String json) throws IOException {
        Path p = ollama.resolve("manifests").resolve(host).resolve(namespace).resolve(model).resolve(tag);
        Files.createDirectories(p.getParent());
        Files.writeString(p, json);
    }

    @BeforeEach
    void ollamaStore() throws IOException {
        ollama = dir.resolve("ollama/models");
        weights = FakeRegistry.gguf(40_000, 11);
        String model = blob(weights);
        byte[] template = GO_TEMPLATE.getBytes(StandardCharsets.UTF_8);
        byte[] license = "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT".getBytes(StandardCharsets.UTF_8);
        byte[] license2 = "Acceptable Use Policy".getBytes(StandardCharsets.UTF_8);
        byte[] params = PARAMS.getBytes(StandardCharsets.UTF_8);
        String t = blob(template), l1 = blob(license), l2 = blob(license2), p = blob(params);
        byte[] config = ("{\"model_format\":\"gguf\",\"model_family\":\"llama\",\"model_families\":[\"llama\"],\"model_type\":\"1.2B\","
                + "\"file_type\":\"Q8_0\",\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + model + "\",\"" + t + "\",\"" + l1 + "\",\"" + l2 + "\",\"" + p + "\"]}}").getBytes(StandardCharsets.UTF_8);
        String c = blob(config);
        manifest("registry.ollama.ai", "library", "llama3.2", "1b", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":" + layer(Manifest.CONFIG, c, config.length, null) + ",\"layers\":["
                + layer(Manifest.MODEL, model, weights.length, null) + "," + layer(Manifest.TEMPLATE, t, template.length, null) + ","
                + layer(Manifest.LICENSE, l1, license.length, null) + "," + layer(Manifest.LICENSE, l2, license2.length, null) + ","
                + layer(Manifest.PARAMS, p, params.length, null) + "]}");
        byte[] system = "You are Mario from Super Mario Bros.".getBytes(StandardCharsets.UTF_8);
        String s = blob(system);
        manifest("registry.ollama.ai", "library", "mario", "latest", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":" + layer(Manifest.CONFIG, c, config.length, null) + ",\"layers\":["
                + layer(Manifest.MODEL, model, weights.length, "/home/me/.ollama/models/blobs/" + model.replace(':', '-')) + ","
                + layer(Manifest.TEMPLATE, t, template.length, "llama3.2:1b") + "," + layer(Manifest.SYSTEM, s, system.length, null) + "]}");
        manifest("hf.co", "bartowski", "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":" + layer(Manifest.CONFIG, c, config.length, null) + ",\"layers\":[" + layer(Manifest.MODEL, model, weights.length, null) + "]}");
        Files.writeString(ollama.resolve("blobs/sha256-" + "b".repeat(64) + "-partial"), "an Ollama download in progress");
        Files.writeString(ollama.resolve("blobs/sha256-" + "b".repeat(64) + "-partial-0"), "{\"N\":0,\"Offset\":0,\"Size\":100,\"Completed\":30}");
    }

    private LocalModelStore store() {
        return new LocalModelStore(mica(), ollama, PullSettings.defaults(), Disk.REAL);
    }

    /** Every file of the Ollama store with its size, modification time and content hash. */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(ollama)) {
            for (Path f : walk.toList()) {
                String key = ollama.relativize(f).toString();
                files.put(key, Files.isDirectory(f) ? "dir " + Files.getLastModifiedTime(f)
                        : Files.size(f) + " " + Files.getLastModifiedTime(f) + " " + Blobs.hash(f));
            }
        }
        return files;
    }

    @Test
    void listsAndFindsOllamasModelsWithTheirSettings() {
        LocalModelStore store = store();
        assertEquals(List.of("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "llama3.2:1b", "mario:latest"),
                store.list().stream().map(ModelDescriptor::name).sorted().toList());
        ModelDescriptor d = store.find("llama3.2:1b").orElseThrow();
        assertEquals("gguf", d.format());
        assertEquals(ollama.resolve("blobs/" + Blobs.digestOf(weights).replace(':', '-')), d.model());
        assertEquals(weights.length, d.size());
        assertEquals(GO_TEMPLATE, d.template());
        assertEquals(List.of("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), d.parameters().get("stop"));
        assertEquals(0.9, d.parameters().get("top_p"));
        assertEquals("You are Mario from Super Mario Bros.", store.find("mario").orElseThrow().system());
        assertTrue(store.find("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M").isPresent());
        assertTrue(store.find("llama3.2").isEmpty(), "no :latest there");
    }

    @Test
    void neverWritesIntoOllamasStore() throws Exception {
        Map<String, String> before = snapshot();
        LocalModelStore store = store();
        store.list();
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.delete("llama3.2:1b"));
        assertEquals(ModelStoreException.Kind.CONFLICT, e.kind());
        assertTrue(e.getMessage().contains("ollama rm llama3.2:1b"), e.getMessage());
        store.copy("llama3.2:1b", "mine");
        store.create(new CreateRequest("pirate", "mario", null, null, "You are a pirate.", Map.of("temperature", 1.0), null, null), ModelStore.StatusListener.NONE);
        assertTrue(store.delete("mine"));
        assertTrue(store.delete("pirate"));
        assertEquals(before, snapshot());
        assertTrue(store.find("llama3.2:1b").isPresent());
    }

    @Test
    void aCopyOrCreateFromOllamasModelGetsBlobsOfItsOwn() throws Exception {
        LocalModelStore store = store();
        store.copy("llama3.2:1b", "mine");
        ModelDescriptor pirate = store.create(new CreateRequest("pirate", "mario", null, null, "You are a pirate.", null, null, null), ModelStore.StatusListener.NONE);
        ModelDescriptor mine = store.find("mine").orElseThrow();
        assertTrue(mine.model().startsWith(mica()), "the copy's weights are in mica's store: " + mine.model());
        assertArrayEquals(weights, Files.readAllBytes(mine.model()));
        assertEquals(GO_TEMPLATE, mine.template());
        assertEquals(GO_TEMPLATE, pirate.template());
        assertEquals("You are a pirate.", pirate.system());
        assertTrue(pirate.model().startsWith(mica()));
    }

    @Test
    void micasOwnModelWinsOverOllamasOfTheSameName() throws Exception {
        LocalModelStore store = store();
        Path other = dir.resolve("other.gguf");
        Files.write(other, FakeRegistry.gguf(1000, 12));
        store.create(new CreateRequest("llama3.2:1b", other.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
        assertEquals(Blobs.digestOf(Files.readAllBytes(other)), store.find("llama3.2:1b").orElseThrow().digest());
        assertEquals(1, store.list().stream().filter(d -> d.name().equals("llama3.2:1b")).count());
        assertTrue(store.delete("llama3.2:1b"));
        assertEquals(Blobs.digestOf(weights), store.find("llama3.2:1b").orElseThrow().digest(), "Ollama's shows again");
    }

    @Test
    void aPullTakesBlobsOllamaAlreadyHasInsteadOfDownloadingThem() throws Exception {
        try (FakeRegistry registry = new FakeRegistry()) {
            byte[] manifest = registry.addModel("library/shared", "latest", weights, GO_TEMPLATE, PARAMS);
            PullSettings settings = PullSettings.defaults().withRegistry(registry.uri())
                    .withDownloads(2, 1 << 20, 4, 0, Duration.ofMillis(10), Duration.ofSeconds(30));
            Map<String, String> before = snapshot();
            LocalModelStore store = new LocalModelStore(mica(), ollama, settings, Disk.REAL);

            ModelDescriptor d = store.pull("shared", PullOptions.DEFAULT, p -> {});

            assertTrue(registry.blobRequests(Blobs.digestOf(weights)).isEmpty(), "the weights came from Ollama's store");
            assertTrue(d.model().startsWith(mica()));
            assertArrayEquals(weights, Files.readAllBytes(d.model()));
            assertEquals(Manifest.parse(manifest).blobs().size() - 3, registry.requests().stream().filter(r -> r.path().contains("/blobs/")).count(),
                    "only the config blob was downloaded (template and params are in Ollama's store too)");
            assertEquals(before, snapshot());
        }
    }

    @Test
    void ollamasStoreIsFoundThroughOllamaModelsOrTheDefaultAndCanBeTurnedOff() {
        assertEquals(Path.of("/srv/ollama"), LocalModelStore.ollamaRoot(null, "/srv/ollama"));
        assertEquals(Path.of("/x"), LocalModelStore.ollamaRoot("/x", "/srv/ollama"));
        assertEquals(null, LocalModelStore.ollamaRoot("none", "/srv/ollama"));
        assertEquals(null, LocalModelStore.ollamaRoot("", null));
        assertFalse(store().list().isEmpty());
        assertTrue(new LocalModelStore(ollama, ollama, PullSettings.defaults(), Disk.REAL).list().size() == 3,
                "the same folder as both stores is mica's own, listed once");
    }
}
