package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.GenerateRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** OpenAI's legacy /v1/completions (platform.openai.com, "Completions"), and tool_choice on chat. */
class OpenAiCompletionsTest extends ServerFixture {

    @Test
    void aTextCompletion() {
        HttpResponse<String> r = http.post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = Http.json(r);
        assertTrue(o.get("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", o.get("object").asText());
        assertEquals("stories", o.get("model").asText());
        JsonNode choice = o.get("choices").get(0);
        assertEquals("Once upon a time", choice.get("text").asText());
        assertEquals(0, choice.get("index").asInt());
        assertTrue(choice.get("logprobs").isNull());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals(16, o.get("usage").get("total_tokens").asInt());
        GenerateRequest sent = engine.lastGenerate.get();
        assertTrue(sent.raw(), "completions take the prompt as it is");
        assertEquals(16, sent.options().numPredict(), "OpenAI's default max_tokens");
        assertEquals("Once", sent.prompt());
    }

    @Test
    void streamedWithUsageAndEcho() {
        String body = "{\"model\":\"stories\",\"prompt\":[\"Say: \"],\"stream\":true,\"echo\":true,\"max_tokens\":5,\"stream_options\":{\"include_usage\":true}}";
        List<String> data = Http.sseData(http.post("/v1/completions", body).body());
        assertEquals("[DONE]", data.getLast());
        List<JsonNode> chunks = data.subList(0, data.size() - 1).stream().map(Http::json).toList();
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertEquals("text_completion", c.get("object").asText());
            if (c.get("choices").size() > 0) text.append(c.get("choices").get(0).get("text").asText());
        }
        assertEquals("Say: Once upon a time", text.toString(), "the prompt first, then the answer");
        assertEquals("stop", chunks.get(chunks.size() - 2).get("choices").get(0).get("finish_reason").asText());
        assertEquals(16, chunks.getLast().get("usage").get("total_tokens").asInt());
        assertEquals(5, engine.lastGenerate.get().options().numPredict());
    }

    @Test
    void logprobsInTheLegacyShape() {
        JsonNode choice = Http.json(http.post("/v1/completions", "{\"model\":\"thinker\",\"prompt\":\"x\",\"logprobs\":1}")).get("choices").get(0);
        JsonNode lp = choice.get("logprobs");
        assertEquals(List.of("42"), List.of(lp.get("tokens").get(0).asText()));
        assertEquals(-0.25, lp.get("token_logprobs").get(0).asDouble());
        assertEquals(-2.5, lp.get("top_logprobs").get(0).get("41").asDouble());
        assertEquals(0, lp.get("text_offset").get(0).asInt());
        assertEquals(1, engine.lastGenerate.get().topLogprobs());
    }

    @Test
    void aSuffixGoesThroughTheTemplate() {
        http.post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"def f(\",\"suffix\":\"):\\n  pass\"}");
        GenerateRequest sent = engine.lastGenerate.get();
        assertFalse(sent.raw(), "fill-in-the-middle needs the model's template");
        assertEquals("):\n  pass", sent.suffix());
    }

    @Test
    void refusals() {
        for (String body : List.of("{\"model\":\"stories\"}", "{\"model\":\"stories\",\"prompt\":[\"a\",\"b\"]}", "{\"model\":\"stories\",\"prompt\":[1,2]}",
                "{\"model\":\"stories\",\"prompt\":\"x\",\"n\":2}", "{\"model\":\"stories\",\"prompt\":\"x\",\"best_of\":3}",
                "{\"model\":\"stories\",\"prompt\":\"x\",\"logprobs\":9}", "{\"model\":\"stories\",\"prompt\":\"x\",\"max_tokens\":-1}")) {
            HttpResponse<String> r = http.post("/v1/completions", body);
            assertEquals(400, r.statusCode(), body);
            assertEquals("invalid_request_error", Http.json(r).get("error").get("type").asText());
        }
        assertEquals(404, http.post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"x\"}").statusCode());
    }

    @Test
    void toolChoiceNamesOneFunctionOrNone() {
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}},{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]";
        String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"b\"}}," + msgs + "}");
        assertEquals(List.of("b"), engine.lastChat.get().tools().stream().map(t -> ((Map<?, ?>) t.get("function")).get("name")).toList());
        http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":\"required\"," + msgs + "}");
        assertEquals(2, engine.lastChat.get().tools().size());
        http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":\"none\"," + msgs + "}");
        assertEquals(0, engine.lastChat.get().tools().size());
        assertEquals(400, http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"c\"}}," + msgs + "}").statusCode());
        assertEquals(400, http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":\"sometimes\"," + msgs + "}").statusCode());
        http.post("/v1/chat/completions", "{\"model\":\"stories\",\"tools\":[{\"type\":\"function\",\"name\":\"flat\"}]," + msgs + "}");
        assertEquals(List.of("flat"), engine.lastChat.get().tools().stream().map(t -> ((Map<?, ?>) t.get("function")).get("name")).toList(),
                "the Responses API's flat tool shape is nested for the template");
    }
}
