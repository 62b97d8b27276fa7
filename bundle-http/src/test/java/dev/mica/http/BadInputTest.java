package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gets a 4xx (or the engine's 404/503) in the shape of the API it was sent to, and never
 * harms the server: after each case and after all of them it still answers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputTest extends ServerFixture {
    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    static Stream<Arguments> ollama() {
        return Stream.of(
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":", 400, "invalid JSON"),
                Arguments.of("/api/generate", "", 400, "missing request body"),
                Arguments.of("/api/generate", "[1,2]", 400, "must be a JSON object"),
                Arguments.of("/api/generate", "{\"model\":\"stories\"} trailing", 400, "invalid JSON"),
                Arguments.of("/api/generate", "{\"prompt\":\"hi\"}", 400, "model is required"),
                Arguments.of("/api/generate", "{\"model\":\"nope\",\"prompt\":\"hi\"}", 404, "not found"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"temperature\":\"hot\"}}", 400, "temperature"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"num_predict\":-3}}", 400, "num_predict"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"num_ctx\":0.5}}", 400, "num_ctx"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"num_ctx\":1e20}}", 400, "num_ctx"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"top_p\":1.5}}", 400, "top_p"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"temperature\":-1}}", 400, "temperature"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"stop\":[1]}}", 400, "stop"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":{\"use_mmap\":\"no\"}}", 400, "use_mmap"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"options\":[]}", 400, "options"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"keep_alive\":\"soon\"}", 400, "keep_alive"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"keep_alive\":true}", 400, "keep_alive"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"think\":\"very\"}", 400, "think"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"format\":\"xml\"}", 400, "format"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"stream\":\"yes\"}", 400, "stream"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":5}", 400, "prompt"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"images\":[\"not base64!\"]}", 400, "images"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"context\":[\"a\"]}", 400, "context"),
                Arguments.of("/api/generate", "{\"model\":\"stories\",\"prompt\":\"hi\",\"top_logprobs\":99}", 400, "top_logprobs"),
                Arguments.of("/api/chat", "{\"model\":\"stories\",\"messages\":\"hello\"}", 400, "messages"),
                Arguments.of("/api/chat", "{\"model\":\"stories\",\"messages\":[{\"content\":\"x\"}]}", 400, "role"),
                Arguments.of("/api/chat", "{\"model\":42," + HI + "}", 400, "model"),
                Arguments.of("/api/chat", "{\"model\":\"busy\"," + HI + "}", 503, "queue full"),
                Arguments.of("/api/chat", "{\"model\":\"stories\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":[1]}}]}]}", 400, "arguments"),
                Arguments.of("/api/show", "{\"model\":\"nope\"}", 404, "not found"),
                Arguments.of("/api/show", "{}", 400, "model is required"),
                Arguments.of("/api/create", "{\"model\":\"x\",\"modelfile\":\"FROM y\"}", 400, "modelfile"),
                Arguments.of("/api/create", "{\"model\":\"x\",\"files\":{\"a\":1}}", 400, "files"),
                Arguments.of("/api/embed", "{\"model\":\"stories\",\"input\":{}}", 400, "input"),
                Arguments.of("/api/copy", "{\"source\":\"stories\",\"destination\":\"\"}", 400, "destination"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("ollama")
    @Order(1)
    void ollamaErrors(String path, String body, int status, String fragment) {
        HttpResponse<String> r = http.post(path, body);
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode error = Http.json(r).get("error");
        assertTrue(error != null && error.isTextual(), "Ollama shape {\"error\": \"...\"}: " + r.body());
        assertTrue(error.asText().contains(fragment), "'" + fragment + "' in " + error.asText());
        assertEquals(200, http.get("/api/version").statusCode());
    }

    static Stream<Arguments> openai() {
        return Stream.of(
                Arguments.of("{\"model\":", 400, "invalid_request_error", "invalid_request", null),
                Arguments.of("{" + HI + "}", 400, "invalid_request_error", "invalid_request", "model"),
                Arguments.of("{\"model\":\"stories\"}", 400, "invalid_request_error", "invalid_request", "messages"),
                Arguments.of("{\"model\":\"stories\",\"messages\":[]}", 400, "invalid_request_error", "invalid_request", "messages"),
                Arguments.of("{\"model\":\"stories\",\"temperature\":\"hot\"," + HI + "}", 400, "invalid_request_error", "invalid_request", "temperature"),
                Arguments.of("{\"model\":\"stories\",\"temperature\":3," + HI + "}", 400, "invalid_request_error", "invalid_request", "temperature"),
                Arguments.of("{\"model\":\"stories\",\"n\":2," + HI + "}", 400, "invalid_request_error", "invalid_request", "n"),
                Arguments.of("{\"model\":\"stories\",\"max_tokens\":0," + HI + "}", 400, "invalid_request_error", "invalid_request", "max_tokens"),
                Arguments.of("{\"model\":\"stories\",\"max_tokens\":\"lots\"," + HI + "}", 400, "invalid_request_error", "invalid_request", "max_tokens"),
                Arguments.of("{\"model\":\"stories\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 400, "invalid_request_error", "invalid_request", "messages"),
                Arguments.of("{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x/y.png\"}}]}]}",
                        400, "invalid_request_error", "invalid_request", "messages"),
                Arguments.of("{\"model\":\"stories\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}",
                        400, "invalid_request_error", "invalid_request", "messages"),
                Arguments.of("{\"model\":\"stories\",\"response_format\":{\"type\":\"xml\"}," + HI + "}", 400, "invalid_request_error", "invalid_request", "response_format"),
                Arguments.of("{\"model\":\"stories\",\"stream_options\":{\"include_usage\":\"yes\"}," + HI + "}", 400, "invalid_request_error", "invalid_request", "include_usage"),
                Arguments.of("{\"model\":\"stories\",\"stream\":1," + HI + "}", 400, "invalid_request_error", "invalid_request", "stream"),
                Arguments.of("{\"model\":\"nope\"," + HI + "}", 404, "invalid_request_error", "model_not_found", null),
                Arguments.of("{\"model\":\"busy\"," + HI + "}", 503, "server_error", "unavailable", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("openai")
    @Order(2)
    void openAiErrors(String body, int status, String type, String code, String param) {
        HttpResponse<String> r = http.post("/v1/chat/completions", body);
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = Http.json(r).get("error");
        assertTrue(error != null && error.isObject(), "OpenAI shape {\"error\": {...}}: " + r.body());
        assertTrue(error.get("message").isTextual() && !error.get("message").asText().isEmpty());
        assertEquals(type, error.get("type").asText());
        assertEquals(code, error.get("code").asText());
        if (param != null) assertEquals(param, error.get("param").asText(), r.body());
        assertEquals(200, http.get("/v1/models").statusCode());
    }

    @Test
    @Order(3)
    void unknownRoutesAnswerInTheirApisShape() {
        HttpResponse<String> ollama = http.get("/api/nothing");
        assertEquals(404, ollama.statusCode());
        assertTrue(Http.json(ollama).get("error").isTextual());
        HttpResponse<String> openai = http.post("/v1/nothing", "{}");
        assertEquals(404, openai.statusCode());
        assertEquals("not_found", Http.json(openai).get("error").get("code").asText());
        HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(http.base.resolve("/api/tags")).PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertTrue(wrongMethod.statusCode() == 404 || wrongMethod.statusCode() == 405);
        assertTrue(Http.json(wrongMethod).get("error").isTextual());
    }

    @Test
    @Order(4)
    void serverStillAnswersAfterAllOfIt() {
        List<JsonNode> lines = Http.ndjson(http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"Once\"}").body());
        assertTrue(lines.getLast().get("done").asBoolean());
        assertEquals(200, http.post("/v1/chat/completions", "{\"model\":\"stories\"," + HI + "}").statusCode());
        assertEquals(0, server.activeGenerations(), "no generation left behind");
    }
}
