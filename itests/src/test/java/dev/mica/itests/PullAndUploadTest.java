package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.kernel.MicaRuntime;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two ways weights reach a server without a shared disk, through the booted kernel's HTTP port:
 * {@code /api/pull} from a registry (one the test runs on loopback, over plain http) and
 * {@code /api/blobs} uploads followed by {@code /api/create} with {@code files}. The store's own
 * tests cover these a layer below; here the wire shapes, the status codes and what ends up on
 * disk are checked as a client sees them.
 */
class PullAndUploadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path work;

    /** A valid GGUF, so /api/tags and /api/show have real metadata to describe and ggml can run it. */
    private byte[] tinyGguf(String name) throws IOException {
        Path f = work.resolve(name);
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, f);
        return Files.readAllBytes(f);
    }

    private MicaRuntime boot(Map<String, String> more) throws Exception {
        var settings = new java.util.HashMap<>(Map.of("mica.backends", "ggml", "mica.num_thread", "1",
                // the machine's own Ollama store would add its models to /api/tags and its blobs to pulls
                "mica.ollama.models", "none"));
        settings.putAll(more);
        return Kernels.boot(work, settings);
    }

    @Test
    void pullStreamsProgressThenTheModelIsListedAndRunsAndABadBlobIsRefusedLeavingNothing() throws Exception {
        try (LoopbackRegistry registry = new LoopbackRegistry()) {
            byte[] weights = tinyGguf("tiny.gguf");
            String digest = registry.addModel("library/tiny", "latest", weights, "{\"temperature\":0.25}");
            try (MicaRuntime kernel = boot(Map.of("mica.registry", registry.uri().toString()))) {
                URI url = Kernels.httpUrl(kernel);
                HttpClient http = HttpClient.newHttpClient();

                List<JsonNode> lines = ndjson(post(http, url, "/api/pull", Map.of("model", "tiny"), 200));
                assertEquals("pulling manifest", lines.getFirst().path("status").asText(), lines.toString());
                assertEquals("success", lines.getLast().path("status").asText(), lines.toString());
                assertTrue(lines.stream().noneMatch(l -> l.has("error")), lines.toString());
                List<JsonNode> model = lines.stream().filter(l -> digest.equals(l.path("digest").asText())).toList();
                assertFalse(model.isEmpty(), "progress names the weights' blob: " + lines);
                for (int i = 0; i < model.size(); i++) {
                    JsonNode p = model.get(i);
                    assertEquals("pulling " + digest.substring(7, 19), p.path("status").asText(), p.toString());
                    assertEquals(weights.length, p.path("total").asLong(), p.toString());
                    if (i > 0) assertTrue(p.path("completed").asLong() >= model.get(i - 1).path("completed").asLong(), "progress never goes back: " + model);
                }
                assertEquals(weights.length, model.getLast().path("completed").asLong(), model.toString());
                List<String> statuses = lines.stream().map(l -> l.path("status").asText()).toList();
                assertTrue(statuses.contains("verifying sha256 digest") && statuses.contains("writing manifest"), statuses.toString());

                JsonNode tiny = tag(get(http, url, "/api/tags"), "tiny:latest");
                assertTrue(tiny != null, "the pulled model is listed");
                assertEquals(weights.length, tiny.path("size").asLong());
                assertEquals("llama", tiny.path("details").path("family").asText(), tiny.toString());
                assertTrue(Files.isRegularFile(blobPath(digest)), "the weights are stored under their digest");
                JsonNode answer = JSON.readTree(post(http, url, "/api/generate",
                        Map.of("model", "tiny", "prompt", "hello", "raw", true, "stream", false, "options", Map.of("num_predict", 3)), 200));
                assertTrue(answer.path("done").asBoolean(), answer.toString());
                String params = JSON.readTree(post(http, url, "/api/show", Map.of("model", "tiny"), 200)).path("parameters").asText();
                assertTrue(params.matches("(?s)temperature\\s+0\\.25"), "the registry's params layer came with the pull: " + params);

                // A second model whose weights arrive with one byte changed: the stream ends in an
                // error line, and blobs/ holds exactly what it held before (no partial, no bad blob).
                String badDigest = registry.addModel("library/broken", "latest", otherWeights(), null);
                registry.corrupt(badDigest);
                List<String> before = blobFiles();
                List<JsonNode> failed = ndjson(post(http, url, "/api/pull", Map.of("model", "broken"), 200));
                assertTrue(failed.getLast().path("error").asText().contains("digest mismatch"), failed.toString());
                assertTrue(failed.stream().noneMatch(l -> "success".equals(l.path("status").asText())), failed.toString());
                assertEquals(before, blobFiles(), "a refused pull leaves nothing in blobs/");
                assertFalse(Files.exists(blobPath(badDigest)));
                assertEquals(null, tag(get(http, url, "/api/tags"), "broken:latest"), "the refused model is not listed");

                // Without streaming the same refusal is the response's status, not a 200.
                String body = post(http, url, "/api/pull", Map.of("model", "broken", "stream", false), 500);
                assertTrue(JSON.readTree(body).path("error").asText().contains("digest mismatch"), body);
                assertEquals(before, blobFiles());
            }
        }
    }

    /** Different bytes from tiny.gguf's: a GGUF that hashes to another digest. */
    private byte[] otherWeights() throws IOException {
        byte[] b = tinyGguf("other.gguf");
        b[b.length - 1] ^= 0x01;
        return b;
    }

    @Test
    void aRegistryNamedInTheModelIsPulledOverHttpOnlyWhenInsecureIsAsked() throws Exception {
        try (LoopbackRegistry registry = new LoopbackRegistry()) {
            String digest = registry.addModel("library/tiny", "latest", tinyGguf("tiny.gguf"), null);
            try (MicaRuntime kernel = boot(Map.of())) {
                URI url = Kernels.httpUrl(kernel);
                HttpClient http = HttpClient.newHttpClient();
                String name = registry.host() + "/library/tiny";

                // Without insecure the store speaks only https, which a plain-http registry never
                // answers (the handshake waits out the connect timeout): no quiet fall back to http.
                List<JsonNode> refused = ndjson(post(http, url, "/api/pull", Map.of("model", name), 200));
                assertTrue(refused.getLast().path("error").asText().contains("https://" + registry.host()), refused.toString());
                assertFalse(Files.exists(blobPath(digest)));

                List<JsonNode> lines = ndjson(post(http, url, "/api/pull", Map.of("model", name, "insecure", true), 200));
                assertEquals("success", lines.getLast().path("status").asText(), lines.toString());
                assertTrue(tag(get(http, url, "/api/tags"), name + ":latest") != null, "listed under the registry's host");
                assertTrue(Files.isRegularFile(blobPath(digest)));
            }
        }
    }

    @Test
    void anUploadedBlobIsCheckedAgainstItsDigestThenCreateMakesAModelOfIt() throws Exception {
        byte[] weights = tinyGguf("tiny.gguf");
        String digest = LoopbackRegistry.digestOf(weights);
        String wrong = LoopbackRegistry.digestOf("something else".getBytes());
        try (MicaRuntime kernel = boot(Map.of())) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();

            assertEquals(404, head(http, url, "/api/blobs/" + digest));
            HttpResponse<String> mismatch = postBytes(http, url, "/api/blobs/" + wrong, weights);
            assertEquals(400, mismatch.statusCode(), mismatch.body());
            assertTrue(mismatch.body().contains("digest mismatch"), mismatch.body());
            assertEquals(List.of(), blobFiles(), "bytes that do not match their digest are not kept, under either digest");
            assertEquals(404, head(http, url, "/api/blobs/" + digest));
            assertEquals(404, head(http, url, "/api/blobs/" + wrong));
            assertEquals(400, postBytes(http, url, "/api/blobs/sha256:abc", weights).statusCode(), "a malformed digest is refused");

            HttpResponse<String> stored = postBytes(http, url, "/api/blobs/" + digest, weights);
            assertEquals(201, stored.statusCode(), stored.body());
            assertEquals(200, head(http, url, "/api/blobs/" + digest));
            assertEquals(List.of(digest.replace(':', '-')), blobFiles());
            assertEquals(200, postBytes(http, url, "/api/blobs/" + digest, weights).statusCode(), "a blob already here is not written again");

            String missing = LoopbackRegistry.digestOf("never uploaded".getBytes());
            HttpResponse<String> noBlob = http.send(json(url, "/api/create", Map.of("model", "ghost", "files", Map.of("ghost.gguf", missing), "stream", false)),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(noBlob.statusCode() >= 400 && noBlob.statusCode() < 500, noBlob.statusCode() + " " + noBlob.body());
            assertEquals(null, tag(get(http, url, "/api/tags"), "ghost:latest"));

            post(http, url, "/api/create", Map.of("model", "uploaded", "files", Map.of("tiny.gguf", digest), "system", "be brief",
                    "parameters", Map.of("temperature", 0.5), "stream", false), 200);
            JsonNode listed = tag(get(http, url, "/api/tags"), "uploaded:latest");
            assertTrue(listed != null, "the created model is listed");
            assertEquals(weights.length, listed.path("size").asLong());
            JsonNode show = JSON.readTree(post(http, url, "/api/show", Map.of("model", "uploaded"), 200));
            assertEquals("gguf", show.path("details").path("format").asText(), show.toString());
            assertEquals("llama", show.path("details").path("family").asText(), show.toString());
            assertEquals("llama", show.path("model_info").path("general.architecture").asText(), show.toString());
            assertEquals(SyntheticModels.LlamaConfig.tiny().nEmbd(), show.path("model_info").path("llama.embedding_length").asInt(), show.toString());
            assertEquals("be brief", show.path("system").asText(), show.toString());
            assertTrue(show.path("parameters").asText().matches("(?s)temperature\\s+0\\.5"), show.toString());
            assertTrue(show.path("modelfile").asText().contains(blobPath(digest).toString()), "the model is the uploaded blob: " + show.path("modelfile"));
        }
    }

    private Path blobPath(String digest) {
        return work.resolve("models").resolve("blobs").resolve(digest.replace(':', '-'));
    }

    /** Every file in blobs/ (partials and temporary uploads included), sorted. */
    private List<String> blobFiles() throws IOException {
        Path blobs = work.resolve("models").resolve("blobs");
        if (!Files.isDirectory(blobs)) return List.of();
        try (Stream<Path> files = Files.list(blobs)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static JsonNode tag(String tags, String name) throws IOException {
        for (JsonNode m : JSON.readTree(tags).path("models")) {
            if (m.path("name").asText().equals(name)) return m;
        }
        return null;
    }

    private static List<JsonNode> ndjson(String body) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isBlank()) out.add(JSON.readTree(line));
        }
        return out;
    }

    private static HttpRequest json(URI url, String path, Object body) throws IOException {
        return HttpRequest.newBuilder(url.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
    }

    private static String post(HttpClient http, URI url, String path, Object body, int status) throws Exception {
        HttpResponse<String> r = http.send(json(url, path, body), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    private static String get(HttpClient http, URI url, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    private static int head(HttpClient http, URI url, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpResponse<String> postBytes(HttpClient http, URI url, String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
