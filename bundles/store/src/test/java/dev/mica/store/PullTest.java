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
import dev.mica.api.model.PullProgress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pulls from a registry the test runs on loopback: layout, parallel ranges, resume, and every refusal. */
class PullTest {
    private static final String TEMPLATE = "{{ .System }} {{ .Prompt }}";
    private static final String PARAMS = "{\"stop\":[\"<|eot_id|>\"],\"temperature\":0.6}";

    @TempDir Path dir;
    private FakeRegistry registry;
    private final List<PullProgress> progress = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() throws IOException {
        registry = new FakeRegistry();
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private Path models() {
        return dir.resolve("models");
    }

    /** Small parts so a blob of a few hundred KiB is fetched over several connections. */
    private PullSettings settings(int retries) {
        return PullSettings.defaults().withRegistry(registry.uri())
                .withDownloads(4, 64 << 10, 16, retries, Duration.ofMillis(10), Duration.ofSeconds(30));
    }

    private LocalModelStore store(int retries) {
        return new LocalModelStore(models(), null, settings(retries), Disk.REAL);
    }

    @Test
    void pullsIntoOllamasLayoutWithProgress() throws Exception {
        byte[] weights = FakeRegistry.gguf(300_000, 1);
        byte[] manifest = registry.addModel("library/tiny", "latest", weights, TEMPLATE, PARAMS);
        LocalModelStore store = store(2);

        ModelDescriptor d = store.pull("tiny", PullOptions.DEFAULT, progress::add);

        assertEquals("tiny:latest", d.name());
        assertEquals(Blobs.digestOf(weights), d.digest());
        assertEquals("gguf", d.format());
        assertEquals(TEMPLATE, d.template());
        assertEquals(0.6, d.parameters().get("temperature"));
        Path manifestFile = models().resolve("manifests/registry.ollama.ai/library/tiny/latest");
        assertArrayEquals(manifest, Files.readAllBytes(manifestFile), "the manifest is stored as the registry served it");
        assertArrayEquals(weights, Files.readAllBytes(models().resolve("blobs/" + d.digest().replace(':', '-'))));
        for (Manifest.Layer l : Manifest.parse(manifest).blobs()) {
            assertTrue(store.hasBlob(l.digest()), l.mediaType());
        }
        assertEquals(List.of("tiny:latest"), store.list().stream().map(ModelDescriptor::name).toList());
        assertNoPartials();

        assertEquals("pulling manifest", progress.getFirst().status());
        assertEquals("success", progress.getLast().status());
        String status = "pulling " + d.digest().substring(7, 19);
        List<PullProgress> model = progress.stream().filter(p -> status.equals(p.status())).toList();
        assertFalse(model.isEmpty());
        model.forEach(p -> assertEquals(weights.length, p.total()));
        assertEquals(weights.length, model.getLast().completed());
        for (int i = 1; i < model.size(); i++) {
            assertTrue(model.get(i).completed() >= model.get(i - 1).completed(), "progress never goes back");
        }
        assertTrue(progress.stream().anyMatch(p -> p.status().equals("verifying sha256 digest")));
        assertTrue(progress.stream().anyMatch(p -> p.status().equals("writing manifest")));
    }

    @Test
    void downloadsABlobInParallelRanges() throws Exception {
        byte[] weights = FakeRegistry.gguf(640 << 10, 2);
        byte[] manifest = registry.addModel("library/big", "v1", weights, null, null);
        store(0).pull("big:v1", PullOptions.DEFAULT, progress::add);

        List<FakeRegistry.Request> gets = registry.blobRequests(Blobs.digestOf(weights));
        assertEquals(10, gets.size(), "640 KiB in parts of 64 KiB");
        assertEquals(10, gets.stream().map(FakeRegistry.Request::rangeStart).distinct().count());
        long all = Manifest.parse(manifest).blobs().stream().mapToLong(Manifest.Layer::size).sum();
        assertEquals(all, registry.blobBytesSent(), "every byte is fetched once");
    }

    @Test
    void aConnectionCutMidBlobIsResumedWhereItStopped() throws Exception {
        byte[] weights = FakeRegistry.gguf(200_000, 3);
        String digest = Blobs.digestOf(weights);
        registry.addModel("library/cut", "latest", weights, null, null);
        registry.cut(digest, 50_000, 1);
        LocalModelStore store = new LocalModelStore(models(), null, settings(3).withDownloads(1, 1 << 20, 1, 3, Duration.ofMillis(10), Duration.ofSeconds(30)), Disk.REAL);

        ModelDescriptor d = store.pull("cut", PullOptions.DEFAULT, progress::add);

        assertEquals(digest, d.digest());
        assertArrayEquals(weights, Files.readAllBytes(d.model()));
        List<Long> starts = registry.blobRequests(digest).stream().map(FakeRegistry.Request::rangeStart).toList();
        assertEquals(2, starts.size(), starts.toString());
        assertEquals(0L, starts.get(0));
        // The server sent 50,000 bytes before it dropped the connection; the client may have lost
        // the last of them with the connection, so it continues at most there, never from 0.
        assertTrue(starts.get(1) > 0 && starts.get(1) <= 50_000, "the second request continues where the first stopped: " + starts);
        assertNoPartials();
    }

    @Test
    void anInterruptedPullLeavesItsPartialFileAndTheNextPullResumesIt() throws Exception {
        byte[] weights = FakeRegistry.gguf(300_000, 4);
        String digest = Blobs.digestOf(weights);
        registry.addModel("library/resume", "latest", weights, null, null);
        registry.cut(digest, 120_000, 100);
        PullSettings oneConnection = settings(0).withDownloads(1, 1 << 20, 1, 0, Duration.ofMillis(10), Duration.ofSeconds(30));

        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> new LocalModelStore(models(), null, oneConnection, Disk.REAL).pull("resume", PullOptions.DEFAULT, progress::add));
        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("pull again to resume"), e.getMessage());
        Path partial = models().resolve("blobs/" + digest.replace(':', '-') + "-partial");
        assertTrue(Files.isRegularFile(partial), "the partial file stays beside the blobs");
        assertTrue(Files.isRegularFile(partial.resolveSibling(partial.getFileName() + ".json")));
        assertFalse(Files.exists(models().resolve("blobs/" + digest.replace(':', '-'))), "no blob before it is complete and verified");
        assertFalse(Files.exists(models().resolve("manifests")), "no manifest for a model without its blobs");

        BlobDownload.State saved = Manifest.JSON.readValue(partial.resolveSibling(partial.getFileName() + ".json").toFile(), BlobDownload.State.class);
        long kept = saved.parts().getFirst().completed();
        assertTrue(kept > 0 && kept <= 120_000, "the state records what arrived before the cut: " + kept);

        registry.cut(digest, 0, 0);
        registry.clearRecords();
        progress.clear();
        ModelDescriptor d = new LocalModelStore(models(), null, oneConnection, Disk.REAL).pull("resume", PullOptions.DEFAULT, progress::add);

        assertArrayEquals(weights, Files.readAllBytes(d.model()));
        assertEquals(List.of(kept), registry.blobRequests(digest).stream().map(FakeRegistry.Request::rangeStart).toList(),
                "the second pull asks only for the bytes the partial file lacks");
        String status = "pulling " + digest.substring(7, 19);
        assertEquals(kept, progress.stream().filter(p -> status.equals(p.status())).findFirst().orElseThrow().completed(),
                "progress starts from what the partial file holds");
        assertNoPartials();
    }

    @Test
    void aBlobWithTheWrongDigestIsRefusedAndNothingIsHalfWritten() throws Exception {
        byte[] weights = FakeRegistry.gguf(100_000, 5);
        String digest = Blobs.digestOf(weights);
        registry.addModel("library/bad", "latest", weights, TEMPLATE, null);
        registry.corrupt(digest);
        LocalModelStore store = store(2);

        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.pull("bad", PullOptions.DEFAULT, progress::add));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
        assertFalse(store.hasBlob(digest));
        assertNoPartials();
        assertFalse(Files.exists(models().resolve("manifests/registry.ollama.ai/library/bad/latest")));
        assertTrue(store.find("bad").isEmpty());
    }

    @Test
    void anUnreachableRegistryIsAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + port);
        LocalModelStore store = new LocalModelStore(models(), null, settings(0).withRegistry(nowhere), Disk.REAL);

        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.pull("tiny", PullOptions.DEFAULT, progress::add));

        assertEquals(Kind.IO, e.kind());
        assertEquals("pull tiny:latest: cannot reach " + nowhere + ": connection refused", e.getMessage());
        assertFalse(Files.exists(models().resolve("manifests")));
    }

    @Test
    void aHostNameThatDoesNotResolveIsCalledUnknownNotRefused() {
        // what java.net.http throws for a name with no address: the lookup failure under a bare ConnectException
        java.net.ConnectException thrown = new java.net.ConnectException();
        thrown.initCause(new java.nio.channels.UnresolvedAddressException());
        assertEquals("unknown host", Http.reason(thrown));
        assertEquals("connection refused", Http.reason(new java.net.ConnectException()));
    }

    @Test
    void aModelTheRegistryDoesNotHaveIsNotFound() {
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(0).pull("nosuch:7b", PullOptions.DEFAULT, progress::add));
        assertEquals(Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("nosuch:7b"), e.getMessage());
    }

    @Test
    void tooLittleFreeSpaceIsRefusedBeforeDownloading() throws Exception {
        byte[] weights = FakeRegistry.gguf(200_000, 6);
        registry.addModel("library/roomy", "latest", weights, null, null);
        Disk tiny = new Disk() {
            @Override
            public int write(FileChannel channel, ByteBuffer data, long position) throws IOException {
                return channel.write(data, position);
            }

            @Override
            public long usableSpace(Path d) {
                return 10_000;
            }
        };
        LocalModelStore store = new LocalModelStore(models(), null, settings(0), tiny);

        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.pull("roomy", PullOptions.DEFAULT, progress::add));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("not enough disk space"), e.getMessage());
        assertTrue(registry.blobRequests(Blobs.digestOf(weights)).isEmpty(), "nothing was downloaded");
        assertFalse(Files.exists(models().resolve("manifests")));
    }

    @Test
    void aDiskThatFillsUpMidDownloadIsAClearErrorAndTheDownloadCanResume() throws Exception {
        byte[] weights = FakeRegistry.gguf(200_000, 7);
        String digest = Blobs.digestOf(weights);
        registry.addModel("library/full", "latest", weights, null, null);
        AtomicLong quota = new AtomicLong(80_000);
        Disk filling = new Disk() {
            @Override
            public int write(FileChannel channel, ByteBuffer data, long position) throws IOException {
                if (quota.addAndGet(-data.remaining()) < 0) throw new IOException("No space left on device");
                return channel.write(data, position);
            }

            @Override
            public long usableSpace(Path d) {
                return Math.max(0, quota.get()) + (quota.get() > 0 ? 1_000_000 : 0);
            }
        };
        PullSettings one = settings(5).withDownloads(1, 1 << 20, 1, 5, Duration.ofMillis(10), Duration.ofSeconds(30));
        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> new LocalModelStore(models(), null, one, filling).pull("full", PullOptions.DEFAULT, progress::add));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertTrue(e.getMessage().contains("free some space and pull again to resume"), e.getMessage());
        assertEquals(1, registry.blobRequests(digest).size(), "a full disk is not retried");
        assertFalse(Files.exists(models().resolve("blobs/" + digest.replace(':', '-'))));
        assertFalse(Files.exists(models().resolve("manifests")));

        ModelDescriptor d = new LocalModelStore(models(), null, one, Disk.REAL).pull("full", PullOptions.DEFAULT, progress::add);
        assertArrayEquals(weights, Files.readAllBytes(d.model()));
        assertTrue(registry.blobRequests(digest).getLast().rangeStart() > 0, "the second pull resumed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc/passwd", "/abs/model", "a/../../b", "bad\u0000name", "ctl\nname:latest", "a/b/c/d", "x:..", "..", " "})
    void namesWithPathTricksAreRejectedBeforeAnyRequest(String name) {
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(0).pull(name, PullOptions.DEFAULT, progress::add));
        assertEquals(Kind.INVALID, e.kind());
        assertTrue(registry.requests().isEmpty());
        assertFalse(Files.exists(models()));
    }

    @Test
    void aManifestWithAPathInADigestIsRefused() throws Exception {
        Map<String, Object> manifest = new HashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", Manifest.DOCKER_MANIFEST);
        manifest.put("layers", List.of(FakeRegistry.layer(Manifest.MODEL, "sha256:../../../../etc/passwd", 10)));
        registry.putManifest("library/evil", "latest", FakeRegistry.json(manifest));

        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(0).pull("evil", PullOptions.DEFAULT, progress::add));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("invalid digest"), e.getMessage());
        assertFalse(Files.exists(models().resolve("manifests")));
    }

    @Test
    void aBearerChallengeGetsAnAnonymousToken() throws Exception {
        byte[] weights = FakeRegistry.gguf(10_000, 8);
        registry.addModel("library/guarded", "latest", weights, null, null);
        registry.requireToken("t0ken");

        store(0).pull("guarded", PullOptions.DEFAULT, progress::add);

        List<FakeRegistry.Request> manifestGets = registry.requests().stream().filter(r -> r.path().contains("/manifests/")).toList();
        assertEquals(2, manifestGets.size());
        assertNull(manifestGets.get(0).authorization());
        assertEquals("Bearer t0ken", manifestGets.get(1).authorization());
    }

    @Test
    void aSecondPullFindsEverythingThereAndDownloadsNothing() throws Exception {
        byte[] weights = FakeRegistry.gguf(50_000, 9);
        registry.addModel("library/again", "latest", weights, TEMPLATE, null);
        store(0).pull("again", PullOptions.DEFAULT, progress::add);
        registry.clearRecords();

        store(0).pull("again", PullOptions.DEFAULT, progress::add);

        assertEquals(1, registry.requests().size(), "only the manifest is fetched again");
    }

    @Test
    void aBlobAnotherProcessIsDownloadingIsLeftToIt() throws Exception {
        byte[] weights = FakeRegistry.gguf(20_000, 13);
        String digest = Blobs.digestOf(weights);
        registry.addModel("library/busy", "latest", weights, null, null);
        Path partial = models().resolve("blobs/" + digest.replace(':', '-') + "-partial");
        Files.createDirectories(partial.getParent());
        try (FileChannel other = FileChannel.open(partial, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var lock = other.lock()) {
            ModelStoreException e = assertThrows(ModelStoreException.class, () -> store(0).pull("busy", PullOptions.DEFAULT, progress::add));
            assertTrue(e.getMessage().contains("another process is downloading into " + partial), e.getMessage());
        }
        assertFalse(Files.exists(models().resolve("manifests")));
    }

    @Test
    void partialFilesSurviveTheCleanUpOfAnotherModelsDelete() throws Exception {
        LocalModelStore store = store(0);
        Path src = dir.resolve("m.gguf");
        Files.write(src, FakeRegistry.gguf(1000, 10));
        store.create(new dev.mica.api.model.CreateRequest("m", src.toString(), null, null, null, null, null, null), dev.mica.api.model.ModelStore.StatusListener.NONE);
        Path partial = models().resolve("blobs/sha256-" + "a".repeat(64) + "-partial");
        Files.writeString(partial, "half");
        assertTrue(store.delete("m"));
        assertTrue(Files.exists(partial));
    }

    private void assertNoPartials() throws IOException {
        Path blobs = models().resolve("blobs");
        if (!Files.isDirectory(blobs)) return;
        try (Stream<Path> files = Files.list(blobs)) {
            List<String> left = files.map(p -> p.getFileName().toString()).filter(n -> !n.matches("sha256-[0-9a-f]{64}")).toList();
            assertEquals(List.of(), left, "only verified blobs remain");
        }
    }
}
