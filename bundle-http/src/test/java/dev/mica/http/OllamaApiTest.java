package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class OllamaApiTest extends ServerFixture {

    @Test
    void rootSaysItIsRunning() {
        HttpResponse<String> get = http.get("/");
        assertEquals(200, get.statusCode());
        assertEquals("mica is running", get.body());
        assertEquals(200, http.head("/").statusCode());
    }

    @Test
    void version() {
        JsonNode v = Http.json(http.get("/api/version"));
        assertEquals("0.0.0-test", v.get("version").asText());
    }

    @Test
    void tagsListModelsInOllamaShape() {
        HttpResponse<String> r = http.get("/api/tags");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode m = Http.json(r).get("models").get(0);
        assertEquals("stories:latest", m.get("name").asText());
        assertEquals("stories:latest", m.get("model").asText());
        assertEquals("2026-01-02T03:04:05.123456789Z", m.get("modified_at").asText());
        assertEquals(1234, m.get("size").asLong());
        assertEquals("ab".repeat(32), m.get("digest").asText(), "Ollama lists bare hex digests");
        JsonNode d = m.get("details");
        assertEquals("gguf", d.get("format").asText());
        assertEquals("llama", d.get("family").asText());
        assertTrue(d.get("families").isArray());
        assertEquals("15M", d.get("parameter_size").asText());
        assertEquals("Q8_0", d.get("quantization_level").asText());
        assertEquals("", d.get("parent_model").asText());
    }

    @Test
    void showAcceptsModelOrName() {
        for (String body : List.of("{\"model\":\"stories\"}", "{\"name\":\"stories\"}")) {
            HttpResponse<String> r = http.post("/api/show", body);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode s = Http.json(r);
            assertEquals("{{ .Prompt }}", s.get("template").asText());
            assertEquals("temperature 0.7", s.get("parameters").asText());
            assertEquals("FROM stories\n", s.get("modelfile").asText());
            assertEquals("llama", s.get("model_info").get("general.architecture").asText());
            assertEquals(256, s.get("model_info").get("llama.context_length").asInt());
            assertEquals("completion", s.get("capabilities").get(0).asText());
            assertEquals("gguf", s.get("details").get("format").asText());
            assertNotNull(s.get("modified_at"));
            assertNull(s.get("system"), "empty fields are left out, as Go's omitempty does");
            assertNull(s.get("license"));
            assertNull(s.get("messages"));
        }
    }

    @Test
    void showJoinsLicensesAndListsTheModelfilesMessages() {
        JsonNode s = Http.json(http.post("/api/show", "{\"model\":\"tools\"}"));
        assertEquals("MIT\nApache-2.0", s.get("license").asText());
        assertEquals(2, s.get("messages").size());
        assertEquals("assistant", s.get("messages").get(1).get("role").asText());
        assertEquals("hello", s.get("messages").get(1).get("content").asText());
    }

    @Test
    void psShowsRunningModels() {
        JsonNode models = Http.json(http.get("/api/ps")).get("models");
        assertEquals(2, models.size());
        JsonNode m = models.get(0);
        assertEquals("stories:latest", m.get("name").asText());
        assertEquals("stories:latest", m.get("model").asText());
        assertEquals(1234, m.get("size").asLong());
        assertEquals(1000, m.get("size_vram").asLong());
        assertEquals(256, m.get("context_length").asInt());
        assertEquals("2030-01-01T00:00:00Z", m.get("expires_at").asText());
        assertTrue(m.get("details").isObject());
        assertEquals("java", m.get("backend").asText());
        assertEquals("pure Java on 2 cores", m.get("route").asText(), "where the backend computes");
        assertTrue(models.get(1).path("route").isMissingNode(), "no route, no field");
        Instant forever = Instant.parse(models.get(1).get("expires_at").asText());
        assertTrue(forever.isAfter(Instant.now().plus(Duration.ofDays(365 * 200))), "kept forever: far in the future, like Ollama");
    }

    @Test
    void generateStreamsNdjson() {
        HttpResponse<String> r = http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"Once\"}");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("content-type").orElse(""));
        List<JsonNode> lines = Http.ndjson(r.body());
        assertEquals(5, lines.size());
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : lines.subList(0, 4)) {
            assertEquals("stories", chunk.get("model").asText());
            assertTrue(chunk.get("created_at").asText().endsWith("Z"));
            Instant.parse(chunk.get("created_at").asText());
            assertFalse(chunk.get("done").asBoolean());
            assertTrue(chunk.get("done").isBoolean());
            assertNull(chunk.get("total_duration"), "metrics only on the last line");
            text.append(chunk.get("response").asText());
        }
        assertEquals("Once upon a time", text.toString());
        JsonNode last = lines.get(4);
        assertTrue(last.get("done").asBoolean());
        assertEquals("stop", last.get("done_reason").asText());
        assertEquals("", last.get("response").asText());
        assertEquals(3, last.get("context").size());
        assertMetrics(last);
    }

    static void assertMetrics(JsonNode o) {
        assertEquals(7_000, o.get("total_duration").asLong());
        assertEquals(1_000, o.get("load_duration").asLong());
        assertEquals(10, o.get("prompt_eval_count").asInt());
        assertEquals(2_000, o.get("prompt_eval_duration").asLong());
        assertEquals(4, o.get("eval_count").asInt());
        assertEquals(3_000, o.get("eval_duration").asLong());
        for (String f : List.of("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration")) {
            assertTrue(o.get(f).isIntegralNumber(), f);
        }
    }

    @Test
    void generateWithoutStreamingAggregates() {
        HttpResponse<String> r = http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"Once\",\"stream\":false}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode o = Http.json(r);
        assertEquals("Once upon a time", o.get("response").asText());
        assertTrue(o.get("done").asBoolean());
        assertEquals("stop", o.get("done_reason").asText());
        assertEquals(List.of(1, 2, 3), List.of(o.get("context").get(0).asInt(), o.get("context").get(1).asInt(), o.get("context").get(2).asInt()));
        assertMetrics(o);
    }

    @Test
    void generateMapsEveryFieldAndOption() {
        String body = """
                {"model":"stories","prompt":"p","suffix":"s","system":"sys","template":"t","raw":true,"context":[5,6],
                 "images":["aGVsbG8="],"format":{"type":"object"},"keep_alive":"1h30m","think":"high","logprobs":true,"top_logprobs":3,
                 "stream":false,
                 "options":{"num_ctx":2048.0,"num_predict":-2,"num_keep":5,"temperature":0.2,"top_k":20,"top_p":0.9,"min_p":0.05,
                   "typical_p":0.7,"repeat_last_n":33,"repeat_penalty":1.1,"presence_penalty":1.5,"frequency_penalty":1.0,"seed":42,
                   "stop":["\\n","user:"],"num_batch":8,"num_thread":4,"num_gpu":1,"use_mmap":false,"mirostat":1}}""";
        assertEquals(200, http.post("/api/generate", body).statusCode());
        GenerateRequest g = engine.lastGenerate.get();
        assertEquals("stories", g.model());
        assertEquals("p", g.prompt());
        assertEquals("s", g.suffix());
        assertEquals("sys", g.system());
        assertEquals("t", g.template());
        assertTrue(g.raw());
        assertEquals(2, g.context().length);
        assertEquals(List.of("aGVsbG8="), g.images());
        assertEquals(new OutputFormat.Schema("{\"type\":\"object\"}"), g.format());
        assertEquals(Duration.ofMinutes(90), g.keepAlive());
        assertEquals(new Think(true, "high"), g.think());
        assertTrue(g.logprobs());
        assertEquals(3, g.topLogprobs());
        Options o = g.options();
        assertEquals(new Options(2048, -2, 5, 0.2, 20, 0.9, 0.05, 0.7, 33, 1.1, 1.5, 1.0, 42L, List.of("\n", "user:"), 8, 4, 1, false), o);
    }

    @Test
    void generateReadsStopAsStringAndJsonFormat() {
        http.post("/api/generate", "{\"model\":\"stories\",\"prompt\":\"p\",\"format\":\"json\",\"options\":{\"stop\":\"END\"},\"keep_alive\":300,\"think\":false}");
        GenerateRequest g = engine.lastGenerate.get();
        assertEquals(new OutputFormat.AnyJson(), g.format());
        assertEquals(List.of("END"), g.options().stop());
        assertEquals(Duration.ofSeconds(300), g.keepAlive());
        assertEquals(Think.OFF, g.think());
    }

    @Test
    void emptyPromptLoadsAndKeepAliveZeroUnloads() {
        engine.calls.clear();
        JsonNode load = Http.json(http.post("/api/generate", "{\"model\":\"stories\",\"stream\":false}"));
        assertEquals("load", load.get("done_reason").asText());
        assertTrue(load.get("done").asBoolean());
        assertEquals("", load.get("response").asText());
        JsonNode unload = Http.json(http.post("/api/generate", "{\"model\":\"stories\",\"keep_alive\":0}"));
        assertEquals("unload", unload.get("done_reason").asText());
        JsonNode chatLoad = Http.json(http.post("/api/chat", "{\"model\":\"stories\",\"messages\":[],\"keep_alive\":\"-1\"}"));
        assertEquals("load", chatLoad.get("done_reason").asText());
        assertEquals("assistant", chatLoad.get("message").get("role").asText());
        JsonNode chatUnload = Http.json(http.post("/api/chat", "{\"model\":\"stories\",\"keep_alive\":\"0s\"}"));
        assertEquals("unload", chatUnload.get("done_reason").asText());
        assertEquals(List.of("load stories null", "unload stories", "load stories PT-1S", "unload stories"), engine.calls);
        assertEquals(404, http.post("/api/generate", "{\"model\":\"nope\"}").statusCode(), "loading an unknown model");
    }

    @Test
    void chatStreamsThinkingTokensAndLogprobs() {
        HttpResponse<String> r = http.post("/api/chat", """
                {"model":"thinker","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"6*7?","images":["aGk="]}],"think":true}""");
        assertEquals(200, r.statusCode());
        List<JsonNode> lines = Http.ndjson(r.body());
        assertEquals(3, lines.size());
        JsonNode thinking = lines.get(0).get("message");
        assertEquals("assistant", thinking.get("role").asText());
        assertEquals("", thinking.get("content").asText());
        assertEquals("hmm", thinking.get("thinking").asText());
        JsonNode token = lines.get(1);
        assertEquals("42", token.get("message").get("content").asText());
        JsonNode lp = token.get("logprobs").get(0);
        assertEquals("42", lp.get("token").asText());
        assertEquals(-0.25, lp.get("logprob").asDouble());
        assertEquals(52, lp.get("bytes").get(0).asInt());
        assertEquals("41", lp.get("top_logprobs").get(0).get("token").asText());
        JsonNode done = lines.get(2);
        assertTrue(done.get("done").asBoolean());
        assertEquals("stop", done.get("done_reason").asText());
        assertNull(done.get("context"), "chat has no context field");
        assertMetrics(done);
        ChatRequest c = engine.lastChat.get();
        assertEquals(2, c.messages().size());
        assertEquals(Message.of("system", "be brief"), c.messages().get(0));
        assertEquals(List.of("aGk="), c.messages().get(1).images());
        assertEquals(Think.ON, c.think());
    }

    @Test
    void chatWithoutStreamingAggregatesToolCalls() {
        HttpResponse<String> r = http.post("/api/chat", """
                {"model":"tools","stream":false,"messages":[{"role":"user","content":"weather?"},
                 {"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Oslo"}}}]},
                 {"role":"tool","content":"cold","tool_name":"get_weather"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = Http.json(r);
        JsonNode call = o.get("message").get("tool_calls").get(0);
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertTrue(call.get("function").get("arguments").isObject(), "Ollama sends arguments as an object");
        assertEquals("Paris", call.get("function").get("arguments").get("city").asText());
        assertEquals("", o.get("message").get("content").asText());
        assertTrue(o.get("done").asBoolean());
        ChatRequest c = engine.lastChat.get();
        assertEquals("get_weather", c.tools().getFirst().get("function") instanceof java.util.Map<?, ?> m ? m.get("name") : null);
        assertEquals("Oslo", c.messages().get(1).toolCalls().getFirst().arguments().get("city"));
        assertEquals("get_weather", c.messages().get(2).toolName());
    }

    @Test
    void failureBeforeTheFirstEventGetsAStatus() {
        HttpResponse<String> r = http.post("/api/chat", "{\"model\":\"vanishing\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(404, r.statusCode());
        assertEquals("model 'vanishing' was deleted", Http.json(r).get("error").asText());
    }

    @Test
    void failureMidStreamEndsWithAnErrorLine() {
        HttpResponse<String> r = http.post("/api/generate", "{\"model\":\"broken\",\"prompt\":\"x\"}");
        assertEquals(200, r.statusCode(), "the stream had started");
        List<JsonNode> lines = Http.ndjson(r.body());
        assertEquals("half", lines.get(0).get("response").asText());
        assertEquals("backend crashed", lines.getLast().get("error").asText());
        HttpResponse<String> whole = http.post("/api/generate", "{\"model\":\"broken\",\"prompt\":\"x\",\"stream\":false}");
        assertEquals(500, whole.statusCode());
        assertEquals("backend crashed", Http.json(whole).get("error").asText());
    }

    @Test
    void createStreamsStatusLines() {
        HttpResponse<String> r = http.post("/api/create", """
                {"model":"mario","from":"stories","system":"You are Mario","template":"{{ .Prompt }}","quantize":"q4_K_M",
                 "files":{"model.gguf":"sha256:abc"},"parameters":{"temperature":0.5,"stop":["x"]},
                 "messages":[{"role":"user","content":"hi"}],"license":"MIT"}""");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("content-type").orElse(""));
        List<String> statuses = Http.ndjson(r.body()).stream().map(n -> n.get("status").asText()).toList();
        assertEquals(List.of("parsing model", "writing manifest", "success"), statuses);
        var c = engine.lastCreate.get();
        assertEquals("mario", c.name());
        assertEquals("stories", c.from());
        assertEquals("You are Mario", c.system());
        assertEquals("q4_K_M", c.quantize());
        assertEquals("sha256:abc", c.files().get("model.gguf"));
        assertEquals(0.5, c.parameters().get("temperature"));
        assertEquals("hi", c.messages().getFirst().content());
        assertEquals(List.of("MIT"), c.licenses());
        http.post("/api/create", "{\"model\":\"mario\",\"from\":\"stories\",\"license\":[\"MIT\",\"BSD\"],\"stream\":false}");
        assertEquals(List.of("MIT", "BSD"), engine.lastCreate.get().licenses());
        assertEquals(400, http.post("/api/create", "{\"model\":\"mario\",\"from\":\"stories\",\"license\":7}").statusCode());

        JsonNode single = Http.json(http.post("/api/create", "{\"model\":\"mario\",\"from\":\"stories\",\"stream\":false}"));
        assertEquals("success", single.get("status").asText());
        HttpResponse<String> missing = http.post("/api/create", "{\"model\":\"mario\",\"from\":\"nowhere\"}");
        assertEquals(404, missing.statusCode());
        List<JsonNode> half = Http.ndjson(http.post("/api/create", "{\"model\":\"mario\",\"from\":\"half\"}").body());
        assertEquals("disk full", half.getLast().get("error").asText());
    }

    @Test
    void blobsCanBeCheckedAndUploaded() throws Exception {
        byte[] data = "weights".repeat(100_000).getBytes(); // larger than a small max_body would allow
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        assertEquals(404, http.head("/api/blobs/" + digest).statusCode());
        assertEquals(201, http.post("/api/blobs/" + digest, data).statusCode());
        assertEquals(200, http.head("/api/blobs/" + digest).statusCode());
        assertEquals(200, http.post("/api/blobs/" + digest, data).statusCode(), "already there");
        String wrong = "sha256:" + "0".repeat(64);
        HttpResponse<String> mismatch = http.post("/api/blobs/" + wrong, data);
        assertEquals(400, mismatch.statusCode());
        assertTrue(Http.json(mismatch).get("error").asText().contains("digest mismatch"));
        assertEquals(400, http.head("/api/blobs/sha256:xyz").statusCode());
    }

    @Test
    void copyAndDelete() {
        assertEquals(200, http.post("/api/copy", "{\"source\":\"stories\",\"destination\":\"tales\"}").statusCode());
        assertEquals(404, http.post("/api/copy", "{\"source\":\"nope\",\"destination\":\"tales\"}").statusCode());
        assertEquals(400, http.post("/api/copy", "{\"source\":\"stories\"}").statusCode());
        assertEquals(200, http.delete("/api/delete", "{\"model\":\"stories\"}").statusCode());
        HttpResponse<String> gone = http.delete("/api/delete", "{\"model\":\"nope\"}");
        assertEquals(404, gone.statusCode());
        assertEquals("model 'nope' not found", Http.json(gone).get("error").asText());
    }

    @Test
    void embed() {
        JsonNode o = Http.json(http.post("/api/embed", "{\"model\":\"stories\",\"input\":[\"ab\",\"abc\"],\"truncate\":false,\"dimensions\":3}"));
        assertEquals("stories", o.get("model").asText());
        assertEquals(2, o.get("embeddings").size());
        assertEquals(3.0, o.get("embeddings").get(1).get(0).asDouble());
        assertEquals(6, o.get("prompt_eval_count").asInt());
        assertEquals(20, o.get("total_duration").asLong());
        assertFalse(engine.lastEmbed.get().truncate());
        JsonNode single = Http.json(http.post("/api/embed", "{\"model\":\"stories\",\"input\":\"ab\"}"));
        assertEquals(1, single.get("embeddings").size());
        JsonNode legacy = Http.json(http.post("/api/embeddings", "{\"model\":\"stories\",\"prompt\":\"ab\"}"));
        assertEquals(3, legacy.get("embedding").size());
    }

    @Test
    void statusListsBackendsAndFlagsBundlesThatDidNotStart() {
        JsonNode s = Http.json(http.get("/api/mica/status"));
        assertEquals("0.0.0-test", s.get("version").asText());
        assertEquals(http.base.toString(), s.get("url").asText());
        assertEquals("java", s.get("backends").get(0).get("id").asText());
        assertTrue(s.get("backends").get(0).get("available").asBoolean());
        assertEquals("cpu", s.get("backends").get(0).get("devices").get(0).get("kind").asText());
        assertFalse(s.get("backends").get(1).get("available").asBoolean());
        assertEquals("libllama not found", s.get("backends").get(1).get("detail").asText());
        JsonNode bundles = s.get("bundles");
        assertEquals(3, bundles.size());
        assertFalse(bundles.get(0).get("failed").asBoolean());
        assertTrue(bundles.get(1).get("failed").asBoolean(), "installed, not active");
        assertFalse(bundles.get(2).get("failed").asBoolean(), "a resolved fragment is fine");
        assertEquals(1, s.get("failed_bundles").size());
        assertTrue(s.get("failed_bundles").get(0).asText().contains("dev.mica.broken"));
        assertFalse(s.get("ok").asBoolean());
    }
}
