package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.kernel.MicaRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three APIs on the real kernel with real models: the trained stories260K answers the same
 * greedy story through Ollama's, OpenAI's and Anthropic's routes; a random-weight model answers
 * in JSON valid against a schema through each API's structured-output field; eight streams run at
 * once; the Java backend's embeddings are the ggml backend's.
 */
class ApiAcceptanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path work;

    @Test
    void everyApiTellsTheSameGreedyStory() throws Exception {
        Path stories = Path.of(System.getProperty("mica.it.shared", "../../shared")).resolve("models/stories260K.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(stories), "skipped: " + stories + " is absent (the shared test models are optional)");
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "ggml", "mica.num_thread", "1"))) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            post(http, url, "/api/create", Map.of("model", "stories", "from", stories.toAbsolutePath().toString(), "stream", false));
            String expected = StoriesAcceptanceTest.LLAMA_CPP_GREEDY;
            // stories260K has no chat template: a one-message chat is its text, as the raw prompt is
            List<Map<String, String>> once = List.of(Map.of("role", "user", "content", "Once upon a time"));

            JsonNode chat = post(http, url, "/api/chat", Map.of("model", "stories", "messages", once, "stream", false,
                    "options", Map.of("temperature", 0, "num_predict", 64)));
            assertEquals(expected, chat.path("message").path("content").asText());

            JsonNode openai = post(http, url, "/v1/chat/completions", Map.of("model", "stories", "messages", once, "temperature", 0, "max_tokens", 64));
            assertEquals(expected, openai.path("choices").get(0).path("message").path("content").asText());
            assertEquals("length", openai.path("choices").get(0).path("finish_reason").asText());

            JsonNode completion = post(http, url, "/v1/completions", Map.of("model", "stories", "prompt", "Once upon a time", "temperature", 0, "max_tokens", 64));
            assertEquals(expected, completion.path("choices").get(0).path("text").asText());

            HttpResponse<String> stream = http.send(HttpRequest.newBuilder(url.resolve("/v1/messages"))
                    .header("x-api-key", "anything").header("anthropic-version", "2023-06-01")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("model", "stories", "messages", once, "max_tokens", 64,
                            "temperature", 0, "stream", true)))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stream.statusCode(), stream.body());
            StringBuilder text = new StringBuilder();
            List<String> names = new ArrayList<>();
            for (String event : stream.body().split("\n\n")) {
                String[] lines = event.split("\n");
                names.add(lines[0].substring("event: ".length()));
                JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
                if (data.path("delta").path("type").asText().equals("text_delta")) text.append(data.path("delta").path("text").asText());
                if (data.path("type").asText().equals("message_delta")) {
                    assertEquals("max_tokens", data.path("delta").path("stop_reason").asText());
                    assertEquals(64, data.path("usage").path("output_tokens").asInt());
                }
            }
            assertEquals(expected, text.toString());
            assertEquals(List.of("message_start", "ping", "content_block_start"), names.subList(0, 3));
            assertEquals(List.of("content_block_stop", "message_delta", "message_stop"), names.subList(names.size() - 3, names.size()));

            JsonNode count = post(http, url, "/v1/messages/count_tokens", Map.of("model", "stories", "messages", once));
            assertEquals(5, count.path("input_tokens").asInt(), "BOS + 4 tokens, as the generate route counts them");
        }
    }

    @Test
    void structuredOutputThroughEachApiAndEightStreamsAtOnce() throws Exception {
        Path model = work.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "ggml", "mica.num_thread", "1", "mica.num_parallel", "8"))) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            post(http, url, "/api/create", Map.of("model", "tiny", "from", model.toString(), "stream", false));
            Map<String, Object> schema = Map.of("type", "object",
                    "properties", Map.of("city", Map.of("type", "string", "maxLength", 10), "days", Map.of("type", "integer", "minimum", 1, "maximum", 7),
                            "metric", Map.of("type", "boolean")),
                    "required", List.of("city", "days", "metric"));
            List<Map<String, String>> ask = List.of(Map.of("role", "user", "content", "Weather, as JSON"));

            JsonNode ollama = post(http, url, "/api/chat", Map.of("model", "tiny", "messages", ask, "format", schema, "stream", false,
                    "options", Map.of("seed", 7, "num_predict", 300)));
            checkWeather(ollama.path("message").path("content").asText());
            JsonNode openai = post(http, url, "/v1/chat/completions", Map.of("model", "tiny", "messages", ask, "seed", 8, "max_tokens", 300,
                    "response_format", Map.of("type", "json_schema", "json_schema", Map.of("name", "weather", "schema", schema))));
            checkWeather(openai.path("choices").get(0).path("message").path("content").asText());
            JsonNode anyJson = post(http, url, "/v1/chat/completions", Map.of("model", "tiny", "messages", ask, "seed", 9, "max_tokens", 300, "temperature", 0,
                    "response_format", Map.of("type", "json_object")));
            String text = anyJson.path("choices").get(0).path("message").path("content").asText();
            if (anyJson.path("choices").get(0).path("finish_reason").asText().equals("stop")) assertTrue(JSON.readTree(text).isObject(), text);

            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String body = JSON.writeValueAsString(Map.of("model", "tiny", "prompt", "stream " + i, "raw", true, "options", Map.of("num_predict", 100, "seed", i)));
                streams.add(http.sendAsync(HttpRequest.newBuilder(url.resolve("/api/generate")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : streams) {
                HttpResponse<String> r = f.get();
                assertEquals(200, r.statusCode(), r.body());
                List<String> lines = r.body().lines().toList();
                JsonNode last = JSON.readTree(lines.getLast());
                assertTrue(last.path("done").asBoolean(), lines.getLast());
                // random weights may end an answer early (they sample end-of-sequence too)
                int n = last.path("eval_count").asInt();
                assertTrue(n >= 0 && n <= 100, lines.getLast());
                assertEquals(n == 100 ? "length" : "stop", last.path("done_reason").asText(), lines.getLast());
            }
            JsonNode embed = post(http, url, "/api/embed", Map.of("model", "tiny", "input", List.of("first", "second"), "dimensions", 16));
            assertEquals(2, embed.path("embeddings").size());
            double norm = 0;
            for (JsonNode v : embed.path("embeddings").get(0)) norm += v.asDouble() * v.asDouble();
            assertEquals(16, embed.path("embeddings").get(0).size());
            assertEquals(1.0, norm, 1e-3, "normalised after truncation to the dimensions asked for");
            JsonNode openaiEmbed = post(http, url, "/v1/embeddings", Map.of("model", "tiny", "input", "first"));
            assertEquals(SyntheticModels.LlamaConfig.tiny().nEmbd(), openaiEmbed.path("data").get(0).path("embedding").size());

            String metrics = http.send(HttpRequest.newBuilder(url.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("\nmica_sequences_running 0\n"), metrics);
            assertTrue(metrics.contains("\nmica_sequences_parallel 8\n"), metrics);
        }
    }

    private static void checkWeather(String text) throws Exception {
        JsonNode o = JSON.readTree(text);
        assertTrue(o.path("city").isTextual() && o.path("city").asText().codePointCount(0, o.path("city").asText().length()) <= 10, text);
        assertTrue(o.path("days").isIntegralNumber() && o.path("days").asInt() >= 1 && o.path("days").asInt() <= 7, text);
        assertTrue(o.path("metric").isBoolean(), text);
        assertEquals(3, o.size(), text);
    }

    /**
     * {@code /api/embed} and {@code /v1/embeddings} on the Java backend give the ggml backend's
     * vectors: same model file, same inputs, each kernel running one backend.
     */
    @Test
    void theJavaBackendEmbedsAsTheGgmlBackendDoes() throws Exception {
        embedsAsTheGgmlBackendDoes("java", Map.of());
    }

    /** The same on the MLX backend; skipped, saying so, without a libmlxc (MlxSwapTest's convention). */
    @Test
    void theMlxBackendEmbedsAsTheGgmlBackendDoes() throws Exception {
        String mlx = MlxSwapTest.mlxPath();
        Assumptions.assumeTrue(mlx != null, "skipped: no libmlxc folder in -Dmica.it.mlx or MICA_MLX_PATH (MLX is built locally, never shipped)");
        embedsAsTheGgmlBackendDoes("mlx", Map.of("mica.mlx.path", mlx));
    }

    private void embedsAsTheGgmlBackendDoes(String backend, Map<String, String> properties) throws Exception {
        Path model = work.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        Map<String, Object> ollama = Map.of("model", "tiny", "input", List.of("first", "a second, longer input"));
        Map<String, Object> openai = Map.of("model", "tiny", "input", "first");
        List<JsonNode> ggml = embedOn("ggml", model, ollama, openai, Map.of()), other = embedOn(backend, model, ollama, openai, properties);
        List<JsonNode> vectors = List.of(ggml.get(0).path("embeddings").get(0), ggml.get(0).path("embeddings").get(1),
                ggml.get(1).path("data").get(0).path("embedding"));
        List<JsonNode> otherVectors = List.of(other.get(0).path("embeddings").get(0), other.get(0).path("embeddings").get(1),
                other.get(1).path("data").get(0).path("embedding"));
        for (int v = 0; v < vectors.size(); v++) {
            JsonNode expected = vectors.get(v), actual = otherVectors.get(v);
            assertEquals(SyntheticModels.LlamaConfig.tiny().nEmbd(), actual.size(), backend + ": vector " + v);
            // unit vectors (the engine normalizes), so an absolute bound is a relative one
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).asDouble(), actual.get(i).asDouble(), 1e-3, backend + ": vector " + v + ", element " + i);
            }
        }
    }

    /** The responses of an Ollama-style and an OpenAI-style embedding request on a kernel that runs only {@code backend}. */
    private List<JsonNode> embedOn(String backend, Path model, Object ollama, Object openai, Map<String, String> properties) throws Exception {
        Map<String, String> config = new HashMap<>(properties);
        config.put("mica.backends", backend);
        config.put("mica.num_thread", "1");
        try (MicaRuntime kernel = Kernels.boot(work.resolve(backend), config)) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            post(http, url, "/api/create", Map.of("model", "tiny", "from", model.toString(), "stream", false));
            return List.of(post(http, url, "/api/embed", ollama), post(http, url, "/v1/embeddings", openai));
        }
    }

    private static JsonNode post(HttpClient http, URI url, String path, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
