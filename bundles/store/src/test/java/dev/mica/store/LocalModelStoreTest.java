package dev.mica.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStoreException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalModelStoreTest {
    @TempDir Path dir;

    private Path fakeGguf(String content) throws Exception {
        Path f = dir.resolve("in-" + content.hashCode() + ".gguf");
        Files.write(f, ("GGUF" + content).getBytes(StandardCharsets.UTF_8));
        return f;
    }

    private static CreateRequest fromPath(String name, Path p) {
        return new CreateRequest(name, p.toString(), null, null, null, null, null, null);
    }

    @Test
    void createsFromAPathInOllamaLayout() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path src = fakeGguf("weights");
        ModelDescriptor d = store.create(new CreateRequest("stories", src.toString(), null, "{{ .Prompt }}", "be brief", Map.of("temperature", 0.5), null, null), ModelStore.StatusListener.NONE);
        assertEquals("stories:latest", d.name());
        assertEquals("gguf", d.format());
        assertEquals("sha256:" + Blobs.hash(src), d.digest());
        assertEquals("be brief", d.system());
        assertEquals("{{ .Prompt }}", d.template());
        assertEquals(0.5, d.parameters().get("temperature"));
        assertTrue(Files.isRegularFile(dir.resolve("models/manifests/registry.ollama.ai/library/stories/latest")));
        assertTrue(Files.isRegularFile(dir.resolve("models/blobs/" + d.digest().replace(':', '-'))));
        assertEquals(List.of("stories:latest"), store.list().stream().map(ModelDescriptor::name).toList());
    }

    @Test
    void copyAndDeleteCollectBlobsNoLongerUsed() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        ModelDescriptor d = store.create(fromPath("a", fakeGguf("x")), ModelStore.StatusListener.NONE);
        store.copy("a", "b:v2");
        assertTrue(store.find("b:v2").isPresent());
        assertTrue(store.delete("a"));
        assertTrue(store.hasBlob(d.digest()), "still used by b:v2");
        assertTrue(store.delete("b:v2"));
        assertFalse(store.hasBlob(d.digest()));
        assertFalse(store.delete("b:v2"));
    }

    @Test
    void createsFromAnUploadedBlobAndRefusesAWrongDigest() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        byte[] data = "GGUFdata".getBytes(StandardCharsets.UTF_8);
        String digest = Blobs.digestOf(data);
        String wrong = Blobs.digestOf("other".getBytes(StandardCharsets.UTF_8));
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.putBlob(wrong, new ByteArrayInputStream(data)));
        assertEquals(ModelStoreException.Kind.INVALID, e.kind());
        assertFalse(store.hasBlob(wrong));
        try (Stream<Path> left = Files.list(dir.resolve("models/blobs"))) {
            assertEquals(0, left.count(), "nothing half-written stays behind");
        }
        store.putBlob(digest, new ByteArrayInputStream(data));
        ModelDescriptor d = store.create(new CreateRequest("up", null, Map.of("model.gguf", digest), null, null, null, null, null), ModelStore.StatusListener.NONE);
        assertEquals(digest, d.digest());
    }

    @Test
    void refusesFilesThatAreNotGguf() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path f = dir.resolve("x.gguf");
        Files.writeString(f, "not a model");
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.create(fromPath("x", f), ModelStore.StatusListener.NONE));
        assertEquals(ModelStoreException.Kind.INVALID, e.kind());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc/passwd", "a/../../b", "/abs/path:tag", "bad\u0000name", "ctl\nname", "a/b/c/d", "x:..", "..", "name:"})
    void rejectsNamesWithPathTricks(String name) throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        store.create(fromPath("source", fakeGguf("x")), ModelStore.StatusListener.NONE);
        ModelStoreException copy = assertThrows(ModelStoreException.class, () -> store.copy("source", name));
        assertEquals(ModelStoreException.Kind.INVALID, copy.kind(), copy.getMessage());
        ModelStoreException create = assertThrows(ModelStoreException.class, () -> store.create(fromPath(name, fakeGguf("y")), ModelStore.StatusListener.NONE));
        assertEquals(ModelStoreException.Kind.INVALID, create.kind(), create.getMessage());
        assertTrue(store.find(name).isEmpty());
        assertEquals(List.of("source:latest"), store.list().stream().map(ModelDescriptor::name).toList());
    }

    @Test
    void licensesAreLayersThatACreateFromTheModelKeepsAndAddsTo() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        Path src = fakeGguf("weights");
        store.create(new CreateRequest("base", src.toString(), null, null, null, null, null, null, List.of("MIT text", "BSD text")),
                ModelStore.StatusListener.NONE);
        ModelDescriptor base = store.find("base").orElseThrow();
        assertEquals(List.of("MIT text", "BSD text"), base.licenses());
        String manifest = Files.readString(dir.resolve("models/manifests/registry.ollama.ai/library/base/latest"));
        assertEquals(2, manifest.split("application/vnd.ollama.image.license", -1).length - 1, manifest);

        ModelDescriptor derived = store.create(new CreateRequest("derived", "base", null, null, null, null, null, null, List.of("extra", "MIT text")),
                ModelStore.StatusListener.NONE);
        assertEquals(List.of("MIT text", "BSD text", "extra"), derived.licenses(), "the same text twice is one license");
    }

    @Test
    void parsesOllamaNames() {
        assertEquals("llama3:8b", ModelName.parse("llama3:8b").display());
        assertEquals("user/m:latest", ModelName.parse("user/m").display());
        assertEquals("hf.co/org/repo:Q4_K_M", ModelName.parse("hf.co/org/repo:Q4_K_M").display());
        assertEquals("localhost:5000/ns/m:latest", ModelName.parse("localhost:5000/ns/m").display());
    }
}
