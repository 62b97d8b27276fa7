package dev.mica.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Quantizer;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.ModelStoreException.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model folders (config.json, *.safetensors, tokenizer files) in the store, in Ollama's layout for safetensors models. */
class ModelFolderStoreTest {
    @TempDir Path dir;

    /** A safetensors file with one F32 tensor of {@code n} values. */
    static byte[] safetensors(String tensor, int n) {
        String header = "{\"" + tensor + "\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4 * n).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
        for (int i = 0; i < n; i++) b.putFloat(i * 0.5f);
        return b.array();
    }

    private Path folder(String name) throws IOException {
        Path f = Files.createDirectories(dir.resolve(name));
        Files.writeString(f.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\"}");
        Files.write(f.resolve("model-00001-of-00002.safetensors"), safetensors("a.weight", 8));
        Files.write(f.resolve("model-00002-of-00002.safetensors"), safetensors("b.weight", 4));
        Files.writeString(f.resolve("tokenizer.json"), "{\"model\":{\"type\":\"BPE\"}}");
        Files.writeString(f.resolve("chat_template.jinja"), "{{ messages }}");
        Files.writeString(f.resolve("README.md"), "not taken");
        // a sentence-transformers embedding model's pooling, one folder down
        Files.writeString(f.resolve("modules.json"), "[{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}]");
        Files.writeString(Files.createDirectories(f.resolve("1_Pooling")).resolve("config.json"), "{\"pooling_mode_lasttoken\":true}");
        Files.writeString(f.resolve("1_Pooling/notes.txt"), "not taken");
        // Hugging Face's cache: the folder's files are links to blobs elsewhere
        Path elsewhere = Files.writeString(dir.resolve("tc-" + name), "{\"eos_token\":\"</s>\"}");
        Files.createSymbolicLink(f.resolve("tokenizer_config.json"), Path.of("..", elsewhere.getFileName().toString()));
        return f;
    }

    private static CreateRequest from(String name, String from, String quantize) {
        return new CreateRequest(name, from, null, null, null, null, null, quantize);
    }

    private Set<String> blobs() throws IOException {
        Path b = dir.resolve("models/blobs");
        if (!Files.isDirectory(b)) return Set.of();
        try (Stream<Path> s = Files.list(b)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aFolderRoundTripsThroughTheStore() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path src = folder("tiny");
        List<String> status = new ArrayList<>();

        ModelDescriptor d = store.create(from("tiny", src.toString(), null), status::add);

        assertEquals("safetensors", d.format());
        assertTrue(Files.isDirectory(d.model()), "resolved to a folder: " + d.model());
        assertTrue(d.model().startsWith(dir.resolve("models")), "inside the store: " + d.model());
        Set<String> names = new TreeSet<>();
        try (Stream<Path> s = Files.list(d.model())) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        assertEquals(Set.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "tokenizer.json",
                "tokenizer_config.json", "chat_template.jinja", "modules.json", "1_Pooling"), names, "README.md is not a model file");
        names.remove("1_Pooling");
        names.add("1_Pooling/config.json");
        for (String n : names) assertArrayEquals(Files.readAllBytes(src.resolve(n)), Files.readAllBytes(d.model().resolve(n)), n);
        try (Stream<Path> s = Files.list(d.model().resolve("1_Pooling"))) {
            assertEquals(List.of("config.json"), s.map(p -> p.getFileName().toString()).toList(), "only JSON files one folder down");
        }
        assertTrue(status.contains("copying file model-00001-of-00002.safetensors"), status.toString());

        // Ollama's layout: a named layer per file, weights as tensor layers, JSON files as json layers
        Manifest m = Manifest.parse(Files.readAllBytes(dir.resolve("models/manifests/registry.ollama.ai/library/tiny/latest")));
        Map<String, String> types = new LinkedHashMap<>();
        m.folderFiles().forEach(l -> types.put(l.name(), l.mediaType()));
        assertEquals("application/vnd.ollama.image.tensor", types.get("model-00001-of-00002.safetensors"));
        assertEquals("application/vnd.ollama.image.json", types.get("config.json"));
        assertEquals("application/vnd.mica.image.file", types.get("chat_template.jinja"));
        assertTrue(Files.readString(dir.resolve("models/blobs/" + m.config().digest().replace(':', '-'))).contains("\"model_format\":\"safetensors\""));
        long size = Files.size(src.resolve("model-00001-of-00002.safetensors")) + Files.size(src.resolve("model-00002-of-00002.safetensors"))
                + Files.size(src.resolve("config.json")) + Files.size(src.resolve("tokenizer.json")) + Files.size(src.resolve("tokenizer_config.json"))
                + Files.size(src.resolve("chat_template.jinja")) + Files.size(src.resolve("modules.json"))
                + Files.size(src.resolve("1_Pooling/config.json"));
        assertEquals(size, d.size());
        assertEquals("application/vnd.ollama.image.json", types.get("1_Pooling/config.json"));

        assertEquals(List.of("tiny:latest"), store.list().stream().map(ModelDescriptor::name).toList());
        store.copy("tiny", "other:v1");
        ModelDescriptor copy = store.find("other:v1").orElseThrow();
        assertEquals(d.model(), copy.model(), "the same files: the same folder");
        assertEquals(d.digest(), copy.digest());

        Set<String> before = blobs();
        assertTrue(store.delete("tiny"));
        assertEquals(before, blobs(), "other:v1 still uses every blob");
        assertTrue(Files.isDirectory(copy.model()));
        assertTrue(store.delete("other:v1"));
        assertEquals(Set.of(), blobs(), "no manifest uses them any more");
        assertFalse(Files.exists(copy.model()), "the folder went with its last model");
        assertTrue(Files.isRegularFile(src.resolve("model-00001-of-00002.safetensors")), "the source folder is untouched");
    }

    @Test
    void onlyNamesInsideTheFolderAreTaken() {
        assertTrue(ModelFolder.takes("1_Pooling/config.json"));
        assertFalse(ModelFolder.takes("../config.json"));
        assertFalse(ModelFolder.takes("a/../config.json"));
        assertFalse(ModelFolder.takes("a/b/config.json"));
        assertFalse(ModelFolder.takes("/etc/config.json"));
        assertFalse(ModelFolder.takes("1_Pooling/model.safetensors"), "weights only at the top");
        assertFalse(ModelFolder.takes(".hidden/config.json"));
    }

    @Test
    void uploadedFilesMakeTheSameModel() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path src = folder("up");
        Map<String, String> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.filter(p -> Files.isRegularFile(p) && ModelFolder.takes(src.relativize(p).toString())).toList()) {
                String digest = "sha256:" + Blobs.hash(p);
                store.putBlob(digest, new ByteArrayInputStream(Files.readAllBytes(p)));
                files.put(src.relativize(p).toString(), digest);
            }
        }
        ModelDescriptor d = store.create(new CreateRequest("up", null, files, null, "sys", null, null, null), ModelStore.StatusListener.NONE);
        ModelDescriptor direct = store.create(from("direct", src.toString(), null), ModelStore.StatusListener.NONE);
        assertEquals("safetensors", d.format());
        assertEquals(direct.digest(), d.digest());
        assertEquals("sys", d.system());

        files.put("../evil.json", files.get("config.json"));
        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> store.create(new CreateRequest("bad", null, files, null, null, null, null, null), ModelStore.StatusListener.NONE));
        assertEquals(Kind.INVALID, e.kind());
    }

    @Test
    void badFoldersAreRefusedAndLeaveNothing() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path noConfig = folder("noconfig");
        Files.delete(noConfig.resolve("config.json"));
        assertInvalid(store, noConfig, "there is no config.json");

        Path truncated = folder("truncated");
        byte[] full = Files.readAllBytes(truncated.resolve("model-00002-of-00002.safetensors"));
        Files.write(truncated.resolve("model-00002-of-00002.safetensors"), java.util.Arrays.copyOf(full, full.length - 3));
        assertInvalid(store, truncated, "lies outside the file");

        Path hostile = folder("hostile");
        Files.write(hostile.resolve("model-00002-of-00002.safetensors"),
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertInvalid(store, hostile, "declares a safetensors header of");

        Path lying = folder("lying");
        String h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,16]}}";
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        Files.write(lying.resolve("model-00002-of-00002.safetensors"),
                ByteBuffer.allocate(8 + hb.length + 16).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb).array());
        assertInvalid(store, lying, "needs 4000000 bytes, has 16");

        Path notJson = folder("notjson");
        Files.writeString(notJson.resolve("config.json"), "{ not json");
        assertInvalid(store, notJson, "config.json is not JSON");

        assertEquals(Set.of(), blobs(), "nothing of a refused folder stays");
        assertTrue(store.list().isEmpty());
    }

    private static void assertInvalid(LocalModelStore store, Path folder, String why) {
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.create(from("bad", folder.toString(), null), s -> {}));
        assertEquals(Kind.INVALID, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    /** Writes config.json with a quantization block and one weights file, as the MLX bundle's quantizer does. */
    private static final class FakeQuantizer implements Quantizer {
        final List<String> calls = new ArrayList<>();

        @Override
        public Set<String> formats() {
            return Set.of("safetensors");
        }

        @Override
        public Set<String> types() {
            return Set.of("int4", "nvfp4");
        }

        @Override
        public void quantize(Path input, Path output, String type) throws BackendException {
            calls.add(type);
            try {
                if (Files.readString(input.resolve("config.json")).contains("quantization")) throw new BackendException("already quantized");
                assertTrue(Files.isRegularFile(input.resolve("tokenizer.json")), "the quantizer sees the whole folder");
                Files.writeString(output.resolve("config.json"), "{\"quantization\":{\"group_size\":64,\"bits\":4,\"mode\":\"affine\"}}");
                Files.write(output.resolve("model.safetensors"), safetensors("q.weight", 2));
            } catch (IOException e) {
                throw new BackendException(e.getMessage(), e);
            }
        }
    }

    @Test
    void quantizingAFolderGoesThroughTheQuantizerForSafetensors() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path src = folder("q");
        ModelStoreException none = assertThrows(ModelStoreException.class, () -> store.create(from("q", src.toString(), "int4"), s -> {}));
        assertEquals("cannot quantize to int4: no quantizer is installed (the mlx backend bundle provides one)", none.getMessage());
        assertEquals(Set.of(), blobs(), "the refused import left no blobs");

        FakeQuantizer q = new FakeQuantizer();
        store.bindQuantizer(q);
        ModelDescriptor d = store.create(from("q", src.toString(), "INT4"), s -> {});
        assertEquals(List.of("int4"), q.calls);
        Set<String> names = new TreeSet<>();
        try (Stream<Path> s = Files.list(d.model())) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        assertEquals(Set.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "modules.json",
                "1_Pooling"), names, "the quantizer's weights replace all the input's; the rest stays");
        assertTrue(Files.isRegularFile(d.model().resolve("1_Pooling/config.json")));
        assertTrue(Files.readString(d.model().resolve("config.json")).contains("quantization"));
        try (Stream<Path> s = Files.list(dir.resolve("models/blobs"))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".")), "no scratch stays");
        }

        ModelStoreException unknown = assertThrows(ModelStoreException.class, () -> store.create(from("x", src.toString(), "q4_K_M"), s -> {}));
        assertEquals(Kind.INVALID, unknown.kind());
        assertEquals("unknown quantization type 'q4_K_M'; known: int4, nvfp4", unknown.getMessage());

        Set<String> before = blobs();
        ModelStoreException again = assertThrows(ModelStoreException.class, () -> store.create(from("qq", "q", "nvfp4"), s -> {}));
        assertEquals(Kind.INVALID, again.kind());
        assertEquals("cannot quantize to nvfp4: already quantized", again.getMessage());
        assertEquals(before, blobs());
        assertTrue(store.find("qq").isEmpty());
    }
}
