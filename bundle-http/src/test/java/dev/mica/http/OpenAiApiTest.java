package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenAiApiTest extends ServerFixture {
    private static final String HELLO = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @Test
    void completionWithoutStreaming() {
        HttpResponse<String> r = http.post("/v1/chat/completions", "{\"model\":\"stories\"," + HELLO + "}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode o = Http.json(r);
        assertTrue(o.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", o.get("object").asText());
        assertTrue(o.get("created").isIntegralNumber());
        assertTrue(Math.abs(o.get("created").asLong() - System.currentTimeMillis() / 1000) < 60);
        assertEquals("stories", o.get("model").asText());
        JsonNode choice = o.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals("Once upon a time", choice.get("message").get("content").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertTrue(choice.get("logprobs").isNull());
        JsonNode usage = o.get("usage");
        assertEquals(12, usage.get("prompt_tokens").asInt());
        assertEquals(4, usage.get("completion_tokens").asInt());
        assertEquals(16, usage.get("total_tokens").asInt());
        assertEquals(2, usage.get("prompt_tokens_details").get("cached_tokens").asInt());
    }

    @Test
    void streamingUsesSseChunksAndEndsWithDone() {
        HttpResponse<String> r = http.post("/v1/chat/completions", "{\"model\":\"stories\",\"stream\":true," + HELLO + "}");
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        List<String> data = Http.sseData(r.body());
        assertEquals("[DONE]", data.getLast());
        List<JsonNode> chunks = data.subList(0, data.size() - 1).stream().map(Http::json).toList();
        assertEquals(5, chunks.size(), "4 tokens and the finish chunk");
        String id = chunks.getFirst().get("id").asText();
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertEquals(id, c.get("id").asText(), "one id for the whole stream");
            assertEquals("chat.completion.chunk", c.get("object").asText());
            assertEquals("stories", c.get("model").asText());
            assertNull(c.get("usage"), "no usage unless asked for");
            JsonNode delta = c.get("choices").get(0).get("delta");
            if (delta.has("content")) text.append(delta.get("content").asText());
        }
        assertEquals("assistant", chunks.getFirst().get("choices").get(0).get("delta").get("role").asText());
        assertFalse(chunks.get(1).get("choices").get(0).get("delta").has("role"), "role only in the first delta");
        assertTrue(chunks.getFirst().get("choices").get(0).get("finish_reason").isNull());
        assertEquals("Once upon a time", text.toString());
        JsonNode last = chunks.getLast().get("choices").get(0);
        assertEquals("stop", last.get("finish_reason").asText());
        assertEquals(0, last.get("delta").size());
    }

    @Test
    void includeUsageAddsAUsageChunk() {
        String body = "{\"model\":\"stories\",\"stream\":true,\"stream_options\":{\"include_usage\":true}," + HELLO + "}";
        List<String> data = Http.sseData(http.post("/v1/chat/completions", body).body());
        assertEquals("[DONE]", data.getLast());
        JsonNode usageChunk = Http.json(data.get(data.size() - 2));
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals(16, usageChunk.get("usage").get("total_tokens").asInt());
        JsonNode first = Http.json(data.getFirst());
        assertTrue(first.has("usage") && first.get("usage").isNull(), "usage: null in the other chunks");
    }

    @Test
    void toolChoiceRequiredOrANamedFunctionRequiresACall() {
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\",\"parameters\":{\"type\":\"object\"}}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"b\",\"parameters\":{\"type\":\"object\"}}}]";
        assertEquals(200, http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":\"required\"," + HELLO + "}").statusCode());
        assertTrue(engine.lastChat.get().toolsRequired());
        assertEquals(2, engine.lastChat.get().tools().size());
        http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"b\"}}," + HELLO + "}");
        assertTrue(engine.lastChat.get().toolsRequired());
        assertEquals(1, engine.lastChat.get().tools().size());
        http.post("/v1/chat/completions", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":\"auto\"," + HELLO + "}");
        assertFalse(engine.lastChat.get().toolsRequired());
        assertEquals(400, http.post("/v1/chat/completions", "{\"model\":\"stories\",\"tool_choice\":\"required\"," + HELLO + "}").statusCode(),
                "required without tools");
    }

    @Test
    void toolCallsCarryArgumentsAsJsonStrings() {
        String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]";
        JsonNode o = Http.json(http.post("/v1/chat/completions", "{\"model\":\"tools\"," + tools + "," + HELLO + "}"));
        JsonNode choice = o.get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        assertTrue(choice.get("message").get("content").isNull());
        JsonNode call = choice.get("message").get("tool_calls").get(0);
        assertEquals("call_1", call.get("id").asText());
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertTrue(call.get("function").get("arguments").isTextual());
        assertEquals("Paris", Http.json(call.get("function").get("arguments").asText()).get("city").asText());

        List<String> data = Http.sseData(http.post("/v1/chat/completions", "{\"model\":\"tools\",\"stream\":true," + tools + "," + HELLO + "}").body());
        JsonNode delta = Http.json(data.getFirst()).get("choices").get(0).get("delta");
        assertEquals(0, delta.get("tool_calls").get(0).get("index").asInt());
        assertTrue(delta.get("tool_calls").get(0).get("function").get("arguments").isTextual());
        assertEquals("tool_calls", Http.json(data.get(data.size() - 2)).get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void reasoningAndLogprobs() {
        JsonNode o = Http.json(http.post("/v1/chat/completions",
                "{\"model\":\"thinker\",\"reasoning_effort\":\"low\",\"logprobs\":true,\"top_logprobs\":1," + HELLO + "}"));
        JsonNode choice = o.get("choices").get(0);
        assertEquals("hmm", choice.get("message").get("reasoning").asText());
        assertEquals("42", choice.get("message").get("content").asText());
        JsonNode lp = choice.get("logprobs").get("content").get(0);
        assertEquals("42", lp.get("token").asText());
        assertEquals(-0.25, lp.get("logprob").asDouble());
        assertEquals("41", lp.get("top_logprobs").get(0).get("token").asText());
        ChatRequest c = engine.lastChat.get();
        assertEquals(new Think(true, "low"), c.think());
        assertTrue(c.logprobs());
        assertEquals(1, c.topLogprobs());
    }

    @Test
    void requestFieldsMapOntoTheContract() {
        String body = """
                {"model":"stories","max_tokens":50,"temperature":0.3,"top_p":0.8,"seed":7,"stop":"END",
                 "frequency_penalty":0.5,"presence_penalty":-0.5,"response_format":{"type":"json_object"},
                 "messages":[{"role":"developer","content":"rules"},
                   {"role":"user","content":[{"type":"text","text":"look "},{"type":"text","text":"here"},
                     {"type":"image_url","image_url":{"url":"data:image/png;base64,aGk="}}]},
                   {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},
                   {"role":"tool","tool_call_id":"c1","content":"result"}]}""";
        assertEquals(200, http.post("/v1/chat/completions", body).statusCode());
        ChatRequest c = engine.lastChat.get();
        assertEquals(50, c.options().numPredict());
        assertEquals(0.3, c.options().temperature());
        assertEquals(0.8, c.options().topP());
        assertEquals(7L, c.options().seed());
        assertEquals(List.of("END"), c.options().stop());
        assertEquals(0.5, c.options().frequencyPenalty());
        assertEquals(-0.5, c.options().presencePenalty());
        assertEquals(new OutputFormat.AnyJson(), c.format());
        assertEquals("system", c.messages().get(0).role());
        assertEquals("look here", c.messages().get(1).content());
        assertEquals(List.of("aGk="), c.messages().get(1).images());
        assertEquals(1, c.messages().get(2).toolCalls().getFirst().arguments().get("a"));
        assertEquals("f", c.messages().get(3).toolName(), "tool result linked to its call by id");
        assertEquals("c1", c.messages().get(3).toolCallId());

        assertEquals(null, c.conversationId());

        http.post("/v1/chat/completions", "{\"model\":\"stories\",\"max_completion_tokens\":9,\"prompt_cache_key\":\"conv-7\",\"stop\":[\"a\",\"b\"],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}}," + HELLO + "}");
        c = engine.lastChat.get();
        assertEquals(9, c.options().numPredict());
        assertEquals("conv-7", c.conversationId(), "prompt_cache_key keys the conversation for the cache");
        assertEquals(List.of("a", "b"), c.options().stop());
        assertEquals(new OutputFormat.Schema("{\"type\":\"object\"}"), c.format());
    }

    @Test
    void models() {
        JsonNode o = Http.json(http.get("/v1/models"));
        assertEquals("list", o.get("object").asText());
        JsonNode m = o.get("data").get(0);
        assertEquals("stories:latest", m.get("id").asText());
        assertEquals("model", m.get("object").asText());
        assertEquals("library", m.get("owned_by").asText());
        assertTrue(m.get("created").isIntegralNumber());
        assertEquals("acme", o.get("data").get(1).get("owned_by").asText());
        assertEquals("stories:latest", Http.json(http.get("/v1/models/stories")).get("id").asText());
        HttpResponse<String> missing = http.get("/v1/models/nope");
        assertEquals(404, missing.statusCode());
        assertEquals("model_not_found", Http.json(missing).get("error").get("code").asText());
    }

    @Test
    void embeddings() {
        JsonNode o = Http.json(http.post("/v1/embeddings", "{\"model\":\"stories\",\"input\":[\"a\",\"bb\"]}"));
        assertEquals("list", o.get("object").asText());
        assertEquals(2, o.get("data").size());
        assertEquals("embedding", o.get("data").get(1).get("object").asText());
        assertEquals(1, o.get("data").get(1).get("index").asInt());
        assertEquals(2.0, o.get("data").get(1).get("embedding").get(0).asDouble());
        assertEquals(6, o.get("usage").get("prompt_tokens").asInt());
        JsonNode b64 = Http.json(http.post("/v1/embeddings", "{\"model\":\"stories\",\"input\":\"a\",\"encoding_format\":\"base64\"}"));
        assertEquals(12, java.util.Base64.getDecoder().decode(b64.get("data").get(0).get("embedding").asText()).length);
    }

    @Test
    void midStreamFailureIsAnErrorEvent() {
        List<String> data = Http.sseData(http.post("/v1/chat/completions", "{\"model\":\"broken\",\"stream\":true," + HELLO + "}").body());
        JsonNode error = Http.json(data.getLast()).get("error");
        assertEquals("backend crashed", error.get("message").asText());
        assertEquals("server_error", error.get("type").asText());
    }
}
