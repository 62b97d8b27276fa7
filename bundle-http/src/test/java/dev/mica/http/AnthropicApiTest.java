package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Think;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Messages API as its documentation describes it (platform.claude.com, "Messages" and
 * "Streaming messages"): the message object, the named SSE events in their order, content blocks
 * one after the other, stop reasons, usage, and errors as {"type":"error","error":{type,message}}.
 */
class AnthropicApiTest extends ServerFixture {
    private static final String HELLO = "\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @Test
    void aMessageWithoutStreaming() {
        HttpResponse<String> r = http.post("/v1/messages", "{\"model\":\"stories\"," + HELLO + "}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode o = Http.json(r);
        assertTrue(o.get("id").asText().matches("msg_[0-9a-f]{24}"), o.toString());
        assertEquals("message", o.get("type").asText());
        assertEquals("assistant", o.get("role").asText());
        assertEquals("stories", o.get("model").asText());
        assertEquals(1, o.get("content").size());
        assertEquals("text", o.get("content").get(0).get("type").asText());
        assertEquals("Once upon a time", o.get("content").get(0).get("text").asText());
        assertEquals("end_turn", o.get("stop_reason").asText());
        assertTrue(o.get("stop_sequence").isNull());
        JsonNode usage = o.get("usage");
        assertEquals(10, usage.get("input_tokens").asInt(), "12 prompt tokens, 2 of them read from the cache");
        assertEquals(2, usage.get("cache_read_input_tokens").asInt());
        assertEquals(4, usage.get("output_tokens").asInt());
    }

    @Test
    void theStreamSendsTheDocumentedEventsInOrder() {
        HttpResponse<String> r = http.post("/v1/messages", "{\"model\":\"stories\",\"stream\":true," + HELLO + "}");
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
        List<Http.Sse> events = Http.sseEvents(r.body());
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                events.stream().map(Http.Sse::event).toList());
        JsonNode message = events.get(0).data().get("message");
        assertTrue(message.get("id").asText().startsWith("msg_"));
        assertEquals(0, message.get("content").size());
        assertTrue(message.get("stop_reason").isNull());
        assertEquals(12, message.get("usage").get("input_tokens").asInt(), "the prompt's length, announced up front");
        JsonNode start = events.get(2).data();
        assertEquals(0, start.get("index").asInt());
        assertEquals("text", start.get("content_block").get("type").asText());
        assertEquals("", start.get("content_block").get("text").asText());
        StringBuilder text = new StringBuilder();
        for (Http.Sse e : events.subList(3, 7)) {
            assertEquals(0, e.data().get("index").asInt());
            assertEquals("text_delta", e.data().get("delta").get("type").asText());
            text.append(e.data().get("delta").get("text").asText());
        }
        assertEquals("Once upon a time", text.toString());
        assertEquals(0, events.get(7).data().get("index").asInt());
        JsonNode delta = events.get(8).data();
        assertEquals("end_turn", delta.get("delta").get("stop_reason").asText());
        assertTrue(delta.get("delta").get("stop_sequence").isNull());
        assertEquals(4, delta.get("usage").get("output_tokens").asInt());
    }

    @Test
    void thinkingComesAsItsOwnBlockWithASignatureBeforeTheText() {
        List<Http.Sse> events = Http.sseEvents(http.post("/v1/messages",
                "{\"model\":\"thinker\",\"stream\":true,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}," + HELLO + "}").body());
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                events.stream().map(Http.Sse::event).toList());
        assertEquals("thinking", events.get(2).data().get("content_block").get("type").asText());
        assertEquals("thinking_delta", events.get(3).data().get("delta").get("type").asText());
        assertEquals("hmm", events.get(3).data().get("delta").get("thinking").asText());
        assertEquals("signature_delta", events.get(4).data().get("delta").get("type").asText());
        assertEquals(1, events.get(6).data().get("index").asInt());
        assertEquals("42", events.get(7).data().get("delta").get("text").asText());
        assertEquals(new Think(true, null, 1024), engine.lastChat.get().think(), "budget_tokens caps the reasoning");

        JsonNode whole = Http.json(http.post("/v1/messages", "{\"model\":\"thinker\"," + HELLO + "}"));
        assertEquals("thinking", whole.get("content").get(0).get("type").asText());
        assertEquals("hmm", whole.get("content").get(0).get("thinking").asText());
        assertEquals("", whole.get("content").get(0).get("signature").asText());
        assertEquals("42", whole.get("content").get(1).get("text").asText());
    }

    @Test
    void toolUseStreamsItsInputAsJsonAndStopsWithToolUse() {
        String tools = ",\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]";
        List<Http.Sse> events = Http.sseEvents(http.post("/v1/messages", "{\"model\":\"tools\",\"stream\":true" + tools + "," + HELLO + "}").body());
        assertEquals(List.of("message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"),
                events.stream().map(Http.Sse::event).toList());
        JsonNode block = events.get(2).data().get("content_block");
        assertEquals("tool_use", block.get("type").asText());
        assertEquals("call_1", block.get("id").asText());
        assertEquals("get_weather", block.get("name").asText());
        assertEquals(0, block.get("input").size(), "the input arrives in deltas");
        JsonNode delta = events.get(3).data().get("delta");
        assertEquals("input_json_delta", delta.get("type").asText());
        assertEquals("Paris", Http.json(delta.get("partial_json").asText()).get("city").asText());
        assertEquals("tool_use", events.get(5).data().get("delta").get("stop_reason").asText());

        ChatRequest sent = engine.lastChat.get();
        Map<?, ?> function = (Map<?, ?>) sent.tools().getFirst().get("function");
        assertEquals("get_weather", function.get("name"));
        assertEquals("object", ((Map<?, ?>) function.get("parameters")).get("type"));

        JsonNode whole = Http.json(http.post("/v1/messages", "{\"model\":\"tools\"" + tools + "," + HELLO + "}"));
        assertEquals("tool_use", whole.get("content").get(0).get("type").asText());
        assertEquals("Paris", whole.get("content").get(0).get("input").get("city").asText());
        assertEquals("tool_use", whole.get("stop_reason").asText());
    }

    @Test
    void aStopSequenceIsNamed() {
        JsonNode o = Http.json(http.post("/v1/messages", "{\"model\":\"stopper\",\"stop_sequences\":[\"END\"]," + HELLO + "}"));
        assertEquals("stop_sequence", o.get("stop_reason").asText());
        assertEquals("END", o.get("stop_sequence").asText());
        assertEquals(List.of("END"), engine.lastChat.get().options().stop());
        assertEquals(64, engine.lastChat.get().options().numPredict());
    }

    @Test
    void aConversationMapsToMessagesTheSameWayEveryTurn() {
        String turn1 = "{\"model\":\"stories\",\"max_tokens\":100,\"temperature\":0.5,\"top_k\":20,"
                + "\"system\":[{\"type\":\"text\",\"text\":\"You are terse.\"},{\"type\":\"text\",\"text\":\"Use tools.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
                + "\"metadata\":{\"user_id\":\"u-1\"},"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather?\"}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"need a tool\",\"signature\":\"\"},"
                + "{\"type\":\"text\",\"text\":\"Let me look.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\",\"unit\":\"c\"}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":[{\"type\":\"text\",\"text\":\"22C\"}]},"
                + "{\"type\":\"text\",\"text\":\"And tomorrow?\"}]}]}";
        assertEquals(200, http.post("/v1/messages", turn1).statusCode());
        ChatRequest first = engine.lastChat.get();
        List<Message> m = first.messages();
        assertEquals(List.of("system", "user", "assistant", "tool", "user"), m.stream().map(Message::role).toList());
        assertEquals("You are terse.\n\nUse tools.", m.get(0).content());
        assertEquals("need a tool", m.get(2).thinking());
        assertEquals("Let me look.", m.get(2).content());
        assertEquals("get_weather", m.get(2).toolCalls().getFirst().name());
        assertEquals(List.of("city", "unit"), List.copyOf(m.get(2).toolCalls().getFirst().arguments().keySet()), "input keys keep their order");
        assertEquals("22C", m.get(3).content());
        assertEquals("get_weather", m.get(3).toolName());
        assertEquals("toolu_1", m.get(3).toolCallId());
        assertEquals("u-1", first.conversationId());
        assertEquals(0.5, first.options().temperature());
        assertEquals(20, first.options().topK());

        String turn2 = turn1.substring(0, turn1.length() - 2)
                + ",{\"role\":\"assistant\",\"content\":\"Sunny.\"},{\"role\":\"user\",\"content\":\"Thanks\"}]}";
        assertEquals(200, http.post("/v1/messages", turn2).statusCode());
        List<Message> second = engine.lastChat.get().messages();
        assertEquals(m, second.subList(0, m.size()), "the earlier turns map to identical messages, so the prompt grows at its end only");
        assertEquals(List.of("assistant", "user"), second.subList(m.size(), second.size()).stream().map(Message::role).toList());
    }

    @Test
    void toolChoiceNoneSendsNoToolsAndToolNamesOne() {
        String tools = "\"tools\":[{\"name\":\"a\",\"input_schema\":{\"type\":\"object\"}},{\"name\":\"b\",\"input_schema\":{\"type\":\"object\"}},"
                + "{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]";
        http.post("/v1/messages", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":{\"type\":\"none\"}," + HELLO + "}");
        assertEquals(0, engine.lastChat.get().tools().size());
        http.post("/v1/messages", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"b\"}," + HELLO + "}");
        assertEquals(1, engine.lastChat.get().tools().size());
        assertEquals("b", ((Map<?, ?>) engine.lastChat.get().tools().getFirst().get("function")).get("name"));
        assertTrue(engine.lastChat.get().toolsRequired(), "a named tool must be called");
        http.post("/v1/messages", "{\"model\":\"stories\"," + tools + ",\"tool_choice\":{\"type\":\"any\"}," + HELLO + "}");
        assertTrue(engine.lastChat.get().toolsRequired(), "any: one of them must be called");
        http.post("/v1/messages", "{\"model\":\"stories\"," + tools + "," + HELLO + "}");
        assertEquals(2, engine.lastChat.get().tools().size(), "server tools (no input_schema) are left out");
        assertFalse(engine.lastChat.get().toolsRequired(), "auto by default");
        http.post("/v1/messages", "{\"model\":\"stories\",\"thinking\":{\"type\":\"disabled\"}," + HELLO + "}");
        assertEquals(Think.OFF, engine.lastChat.get().think());
    }

    @Test
    void countTokens() {
        HttpResponse<String> r = http.post("/v1/messages/count_tokens", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3, Http.json(r).get("input_tokens").asInt());
    }

    @Test
    void errorsComeInAnthropicsShape() {
        assertError(http.post("/v1/messages", "{\"model\":\"stories\",\"messages\":[]}"), 400, "invalid_request_error", "max_tokens");
        assertError(http.post("/v1/messages", "{\"model\":\"nope\"," + HELLO + "}"), 404, "not_found_error", "nope");
        assertError(http.post("/v1/messages", "{\"model\":\"busy\"," + HELLO + "}"), 503, "overloaded_error", "queue");
        assertError(http.post("/v1/messages", "{not json"), 400, "invalid_request_error", "JSON");
        assertError(http.post("/v1/messages", "{\"model\":\"stories\",\"max_tokens\":5,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}"),
                400, "invalid_request_error", "role");
        assertError(http.post("/v1/messages", "{\"model\":\"stories\",\"max_tokens\":5,\"temperature\":1.5,\"messages\":[]}"),
                400, "invalid_request_error", "temperature");
        assertError(http.post("/v1/messages/count_tokens", "{\"messages\":[]}"), 400, "invalid_request_error", "model");
        assertError(http.get("/v1/messages"), 404, "not_found_error", "");
    }

    @Test
    void aFailureAfterTheStreamStartedIsAnErrorEvent() {
        List<Http.Sse> events = Http.sseEvents(http.post("/v1/messages", "{\"model\":\"broken\",\"stream\":true," + HELLO + "}").body());
        Http.Sse last = events.getLast();
        assertEquals("error", last.event());
        assertEquals("api_error", last.data().get("error").get("type").asText());
        assertNull(events.stream().filter(e -> e.event().equals("message_stop")).findFirst().orElse(null));
    }

    private static void assertError(HttpResponse<String> r, int status, String type, String messagePart) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode o = Http.json(r);
        assertEquals("error", o.get("type").asText(), r.body());
        assertEquals(type, o.get("error").get("type").asText(), r.body());
        assertTrue(o.get("error").get("message").asText().contains(messagePart), r.body());
    }
}
