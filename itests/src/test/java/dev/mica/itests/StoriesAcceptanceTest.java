package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.kernel.MicaRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton's acceptance: the real kernel, the real GGML backend, a real trained model,
 * over HTTP. Greedy decoding of stories260K must continue the story exactly as llama.cpp's own
 * greedy loop does (bundle-ggml/src/test/c/greedy_reference.c printed the text below).
 */
class StoriesAcceptanceTest {
    /** llama.cpp de3ff81, greedy, 64 tokens after BOS + "Once upon a time". */
    static final String LLAMA_CPP_GREEDY = ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball."
            + " She wanted to play with it, but it was too high.\nLily's mom said";

    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path work;

    @Test
    void rawGenerateAtTemperatureZeroMatchesLlamaCppGreedy() throws Exception {
        Path stories = Path.of(System.getProperty("mica.it.shared", "../../shared")).resolve("models/stories260K.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(stories), "skipped: " + stories + " is absent (the shared test models are optional)");
        try (MicaRuntime kernel = Kernels.boot(work, Map.of())) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            JsonNode created = post(http, url, "/api/create", Map.of("model", "stories", "from", stories.toAbsolutePath().toString(), "stream", false));
            assertEquals("success", created.path("status").asText(), created.toString());

            JsonNode answer = post(http, url, "/api/generate", Map.of("model", "stories", "prompt", "Once upon a time", "raw", true, "stream", false,
                    "options", Map.of("temperature", 0, "num_predict", 64)));
            assertEquals(LLAMA_CPP_GREEDY, answer.path("response").asText());
            assertEquals("length", answer.path("done_reason").asText());
            assertEquals(5, answer.path("prompt_eval_count").asInt(), "BOS + 4 prompt tokens");
            assertEquals(64, answer.path("eval_count").asInt());
            assertTrue(answer.path("eval_duration").asLong() > 0);

            StringBuilder streamed = new StringBuilder();
            HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(url.resolve("/api/generate"))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("model", "stories", "prompt", "Once upon a time", "raw", true,
                            "options", Map.of("temperature", 0, "num_predict", 64))))).build(), HttpResponse.BodyHandlers.ofLines());
            List<String> lines = r.body().toList();
            for (String line : lines) streamed.append(JSON.readTree(line).path("response").asText());
            assertEquals(LLAMA_CPP_GREEDY, streamed.toString(), "the NDJSON stream carries the same text");
            assertTrue(JSON.readTree(lines.getLast()).path("done").asBoolean());

            JsonNode ps = get(http, url, "/api/ps");
            assertEquals("ggml", ps.path("models").get(0).path("backend").asText(), ps.toString());
        }
    }

    private static JsonNode post(HttpClient http, URI url, String path, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode get(HttpClient http, URI url, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}
