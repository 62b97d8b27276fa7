package dev.mica.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.ModelStoreException.Kind;
import dev.mica.api.model.PullOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hf.co/<org>/<repo>:<quant>} against a Hugging Face-style host and CDN on loopback. */
class HuggingFacePullTest {
    @TempDir Path dir;
    private FakeRegistry hf;
    private final byte[] q4 = FakeRegistry.gguf(150_000, 21);
    private final byte[] q8 = FakeRegistry.gguf(260_000, 22);

    @BeforeEach
    void start() throws Exception {
        hf = new FakeRegistry();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("README.md", "# Tiny".getBytes(StandardCharsets.UTF_8));
        files.put("Tiny-Instruct-Q4_K_M.gguf", q4);
        files.put("Tiny-Instruct-Q8_0.gguf", q8);
        files.put("mmproj-Tiny-F16.gguf", FakeRegistry.gguf(1000, 23));
        hf.addHfRepo("acme/Tiny-GGUF", files);
    }

    @AfterEach
    void stop() {
        hf.close();
    }

    private LocalModelStore store(String token) {
        PullSettings s = PullSettings.defaults().withHuggingFace(hf.uri(), token)
                .withDownloads(3, 32 << 10, 16, 2, Duration.ofMillis(10), Duration.ofSeconds(30));
        return new LocalModelStore(dir.resolve("models"), null, s, Disk.REAL);
    }

    @Test
    void pullsTheGgufFileOfTheQuantizationInTheTag() throws Exception {
        ModelDescriptor d = store(null).pull("hf.co/acme/Tiny-GGUF:q8_0", PullOptions.DEFAULT, p -> {});

        assertEquals("hf.co/acme/Tiny-GGUF:q8_0", d.name());
        assertEquals(Blobs.digestOf(q8), d.digest());
        assertArrayEquals(q8, Files.readAllBytes(d.model()));
        Path manifest = dir.resolve("models/manifests/hf.co/acme/Tiny-GGUF/q8_0");
        assertTrue(Files.isRegularFile(manifest));
        Manifest m = Manifest.parse(Files.readAllBytes(manifest));
        assertEquals(Manifest.MODEL, m.layers().getFirst().mediaType());
        assertTrue(Files.isRegularFile(dir.resolve("models/blobs/" + m.config().digest().replace(':', '-'))));
        assertTrue(hf.requests().stream().filter(r -> r.path().startsWith("cdn:")).count() > 1, "ranges from the CDN the resolve URL redirects to");
    }

    @Test
    void withoutATagItTakesQ4KM() throws Exception {
        ModelDescriptor d = store(null).pull("hf.co/acme/Tiny-GGUF", PullOptions.DEFAULT, p -> {});
        assertEquals("hf.co/acme/Tiny-GGUF:latest", d.name());
        assertEquals(Blobs.digestOf(q4), d.digest());
    }

    @Test
    void theTokenGoesToHuggingFaceButNotToTheCdn() throws Exception {
        store("hf_secret").pull("hf.co/acme/Tiny-GGUF:Q4_K_M", PullOptions.DEFAULT, p -> {});
        List<FakeRegistry.Request> requests = hf.requests();
        assertTrue(requests.stream().filter(r -> !r.path().startsWith("cdn:")).allMatch(r -> "Bearer hf_secret".equals(r.authorization())));
        requests.stream().filter(r -> r.path().startsWith("cdn:")).forEach(r -> assertNull(r.authorization(), r.path()));
    }

    @Test
    void anUnknownQuantizationNamesTheFilesThereAre() {
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(null).pull("hf.co/acme/Tiny-GGUF:IQ2_XS", PullOptions.DEFAULT, p -> {}));
        assertEquals(Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("Tiny-Instruct-Q4_K_M.gguf, Tiny-Instruct-Q8_0.gguf"), e.getMessage());
        assertFalse(e.getMessage().contains("mmproj"), "projectors are not models");
        assertFalse(Files.exists(dir.resolve("models/manifests")));
    }

    @Test
    void anUnknownRepositoryIsNotFound() {
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(null).pull("hf.co/acme/Nothing:Q4_K_M", PullOptions.DEFAULT, p -> {}));
        assertEquals(Kind.NOT_FOUND, e.kind());
    }

    @Test
    void splitGgufFilesAreRefusedClearly() {
        hf.addHfRepo("acme/Split-GGUF", Map.of("Big-Q4_K_M-00001-of-00002.gguf", FakeRegistry.gguf(100, 24),
                "Big-Q4_K_M-00002-of-00002.gguf", FakeRegistry.gguf(100, 25)));
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(null).pull("hf.co/acme/Split-GGUF:Q4_K_M", PullOptions.DEFAULT, p -> {}));
        assertTrue(e.getMessage().contains("is one part of a split GGUF"), e.getMessage());
    }

    @Test
    void twoFilesForOneQuantizationAreAmbiguous() {
        hf.addHfRepo("acme/Twice-GGUF", Map.of("a/M-Q8_0.gguf", FakeRegistry.gguf(100, 26), "b/M-Q8_0.gguf", FakeRegistry.gguf(100, 27)));
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(null).pull("hf.co/acme/Twice-GGUF:Q8_0", PullOptions.DEFAULT, p -> {}));
        assertTrue(e.getMessage().contains("several files of hf.co/acme/Twice-GGUF match 'Q8_0'"), e.getMessage());
    }

    @Test
    void quantizationNamesMatchWholeTokensOnly() {
        List<HuggingFace.GgufFile> files = List.of(new HuggingFace.GgufFile("m-Q4_K_M.gguf", 1, null), new HuggingFace.GgufFile("m-Q4_K.gguf", 1, null),
                new HuggingFace.GgufFile("sub/m.Q8_0.gguf", 1, null), new HuggingFace.GgufFile("m-q4_0-imat.gguf", 1, null));
        assertEquals(List.of("m-Q4_K.gguf"), HuggingFace.matching(files, "Q4_K").stream().map(HuggingFace.GgufFile::path).toList());
        assertEquals(List.of("m-Q4_K_M.gguf"), HuggingFace.matching(files, "q4_k_m").stream().map(HuggingFace.GgufFile::path).toList());
        assertEquals(List.of("sub/m.Q8_0.gguf"), HuggingFace.matching(files, "Q8_0").stream().map(HuggingFace.GgufFile::path).toList());
        assertEquals(List.of("m-q4_0-imat.gguf"), HuggingFace.matching(files, "Q4_0").stream().map(HuggingFace.GgufFile::path).toList());
    }
}
