package dev.mica.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Responses API ({@code POST /v1/responses}) as its reference describes it: the response
 * object, input items, and the streaming events (platform.openai.com, "Responses" and
 * "Streaming events").
 */
class OpenAiResponsesApiTest extends ServerFixture {

    private HttpResponse<String> post(String body) {
        return http.post("/v1/responses", body);
    }

    private List<Http.Sse> stream(String body) {
        HttpResponse<String> r = post(body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        assertFalse(r.body().contains("[DONE]"), "the Responses API sends no [DONE]");
        List<Http.Sse> events = Http.sseEvents(r.body());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).data().get("sequence_number").asInt(), "sequence numbers count up from 0");
        }
        return events;
    }

    private static List<String> types(List<Http.Sse> events) {
        return events.stream().map(Http.Sse::event).toList();
    }

    @Test
    void aResponseObject() {
        HttpResponse<String> r = post("{\"model\":\"stories\",\"input\":\"Tell me a story\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = Http.json(r);
        assertTrue(o.get("id").asText().startsWith("resp_"), o.toString());
        assertEquals("response", o.get("object").asText());
        assertTrue(o.get("created_at").asLong() > 1_700_000_000L);
        assertEquals("completed", o.get("status").asText());
        assertTrue(o.get("error").isNull());
        assertTrue(o.get("incomplete_details").isNull());
        assertEquals("stories", o.get("model").asText());
        assertTrue(o.get("previous_response_id").isNull());
        assertFalse(o.get("store").asBoolean(), "nothing is stored");
        assertEquals(1, o.get("output").size());
        JsonNode message = o.get("output").get(0);
        assertEquals("message", message.get("type").asText());
        assertTrue(message.get("id").asText().startsWith("msg_"));
        assertEquals("completed", message.get("status").asText());
        assertEquals("assistant", message.get("role").asText());
        JsonNode text = message.get("content").get(0);
        assertEquals("output_text", text.get("type").asText());
        assertEquals("Once upon a time", text.get("text").asText());
        assertEquals(0, text.get("annotations").size());
        JsonNode usage = o.get("usage");
        assertEquals(12, usage.get("input_tokens").asInt());
        assertEquals(2, usage.get("input_tokens_details").get("cached_tokens").asInt());
        assertEquals(4, usage.get("output_tokens").asInt());
        assertEquals(0, usage.get("output_tokens_details").get("reasoning_tokens").asInt());
        assertEquals(16, usage.get("total_tokens").asInt());

        ChatRequest sent = engine.lastChat.get();
        assertEquals(List.of(Message.of("user", "Tell me a story")), sent.messages());
        assertTrue(sent.tools().isEmpty());
        assertNull(sent.conversationId());
    }

    @Test
    void inputItemsBecomeTheConversation() {
        String body = """
                {"model":"stories","instructions":"Be brief.","store":true,"prompt_cache_key":"conv-9",
                 "max_output_tokens":64,"temperature":0.2,"top_p":0.9,"reasoning":{"effort":"high","summary":"auto"},
                 "input":[
                   {"role":"developer","content":"Use metric units."},
                   {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in "},{"type":"input_text","text":"Paris?"},
                     {"type":"input_image","image_url":"data:image/png;base64,aGk="}]},
                   {"type":"reasoning","id":"rs_1","summary":[],"content":[{"type":"reasoning_text","text":"I should look it up."}]},
                   {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me check."}]},
                   {"type":"function_call","call_id":"call_a","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"},
                   {"type":"function_call","call_id":"call_b","name":"get_time","arguments":""},
                   {"type":"function_call_output","call_id":"call_a","output":"18C"},
                   {"type":"function_call_output","call_id":"call_b","output":[{"type":"input_text","text":"noon"}]}
                 ]}""";
        HttpResponse<String> r = post(body);
        assertEquals(200, r.statusCode(), r.body());
        ChatRequest c = engine.lastChat.get();
        List<Message> m = c.messages();
        assertEquals(List.of("system", "system", "user", "assistant", "tool", "tool"), m.stream().map(Message::role).toList());
        assertEquals("Be brief.", m.get(0).content(), "instructions come first");
        assertEquals("Use metric units.", m.get(1).content(), "developer is a system message");
        assertEquals("Weather in Paris?", m.get(2).content());
        assertEquals(List.of("aGk="), m.get(2).images());
        Message assistant = m.get(3);
        assertEquals("Let me check.", assistant.content());
        assertEquals("I should look it up.", assistant.thinking(), "a reasoning item is the thinking of the turn after it");
        assertEquals(List.of("call_a", "call_b"), assistant.toolCalls().stream().map(t -> t.id()).toList(), "calls join their assistant turn");
        assertEquals(Map.of("city", "Paris"), assistant.toolCalls().get(0).arguments());
        assertEquals(Map.of(), assistant.toolCalls().get(1).arguments());
        assertEquals("get_weather", m.get(4).toolName(), "a call's output is named after its call");
        assertEquals("call_a", m.get(4).toolCallId());
        assertEquals("18C", m.get(4).content());
        assertEquals("get_time", m.get(5).toolName());
        assertEquals("noon", m.get(5).content());
        assertEquals(64, c.options().numPredict());
        assertEquals(0.2, c.options().temperature());
        assertEquals(0.9, c.options().topP());
        assertEquals(new Think(true, "high"), c.think());
        assertEquals("conv-9", c.conversationId(), "prompt_cache_key keys the conversation for the cache");

        JsonNode o = Http.json(r);
        assertEquals("Be brief.", o.get("instructions").asText());
        assertEquals(64, o.get("max_output_tokens").asInt());
        assertEquals("high", o.get("reasoning").get("effort").asText());
        assertFalse(o.get("store").asBoolean());
    }

    @Test
    void flatFunctionToolsAndToolChoice() {
        String tools = "\"tools\":[{\"type\":\"function\",\"name\":\"a\",\"description\":\"does a\",\"parameters\":{\"type\":\"object\"},\"strict\":true},"
                + "{\"type\":\"function\",\"name\":\"b\"}]";
        post("{\"model\":\"stories\",\"input\":\"hi\"," + tools + "}");
        List<Map<String, Object>> sent = engine.lastChat.get().tools();
        assertEquals(2, sent.size());
        assertEquals("function", sent.get(0).get("type"));
        Map<?, ?> function = (Map<?, ?>) sent.get(0).get("function");
        assertEquals("a", function.get("name"), "tools reach the template in the chat shape");
        assertEquals("does a", function.get("description"));
        assertEquals(Map.of("type", "object"), function.get("parameters"));

        post("{\"model\":\"stories\",\"input\":\"hi\"," + tools + ",\"tool_choice\":{\"type\":\"function\",\"name\":\"b\"}}");
        assertEquals(List.of("b"), engine.lastChat.get().tools().stream().map(t -> ((Map<?, ?>) t.get("function")).get("name")).toList());
        assertTrue(engine.lastChat.get().toolsRequired(), "a named function must be called");
        post("{\"model\":\"stories\",\"input\":\"hi\"," + tools + ",\"tool_choice\":\"none\"}");
        assertTrue(engine.lastChat.get().tools().isEmpty());
        post("{\"model\":\"stories\",\"input\":\"hi\"," + tools + ",\"tool_choice\":\"auto\"}");
        assertEquals(2, engine.lastChat.get().tools().size());
        JsonNode echoed = Http.json(post("{\"model\":\"stories\",\"input\":\"hi\"," + tools + ",\"tool_choice\":\"required\"}"));
        assertEquals("a", echoed.get("tools").get(0).get("name").asText(), "the response repeats the tools as given");
        assertEquals("required", echoed.get("tool_choice").asText());
        assertTrue(engine.lastChat.get().toolsRequired());
    }

    @Test
    void textFormatIsTheOutputFormat() {
        post("{\"model\":\"stories\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"x\",\"strict\":true,\"schema\":{\"type\":\"object\"}}}}");
        assertEquals(new OutputFormat.Schema("{\"type\":\"object\"}"), engine.lastChat.get().format());
        post("{\"model\":\"stories\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_object\"}}}");
        assertEquals(new OutputFormat.AnyJson(), engine.lastChat.get().format());
        JsonNode o = Http.json(post("{\"model\":\"stories\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"text\"}}}"));
        assertNull(engine.lastChat.get().format());
        assertEquals("text", o.get("text").get("format").get("type").asText());
    }

    @Test
    void reasoningEffortLevels() {
        post("{\"model\":\"stories\",\"input\":\"hi\",\"reasoning\":{\"effort\":\"none\"}}");
        assertEquals(Think.OFF, engine.lastChat.get().think());
        post("{\"model\":\"stories\",\"input\":\"hi\",\"reasoning\":{\"effort\":\"minimal\"}}");
        assertEquals(new Think(true, "low"), engine.lastChat.get().think());
        post("{\"model\":\"stories\",\"input\":\"hi\",\"reasoning\":{\"summary\":\"auto\"}}");
        assertNull(engine.lastChat.get().think());
    }

    @Test
    void reasoningAndToolCallsAreOutputItems() {
        JsonNode output = Http.json(post("{\"model\":\"thinker\",\"input\":\"hi\"}")).get("output");
        assertEquals(List.of("reasoning", "message"), types(output));
        JsonNode reasoning = output.get(0);
        assertTrue(reasoning.get("id").asText().startsWith("rs_"));
        assertEquals(0, reasoning.get("summary").size());
        assertEquals("reasoning_text", reasoning.get("content").get(0).get("type").asText());
        assertEquals("hmm", reasoning.get("content").get(0).get("text").asText());
        assertFalse(reasoning.has("encrypted_content"), "only when include asks for it");
        assertEquals("42", output.get(1).get("content").get(0).get("text").asText());

        JsonNode asked = Http.json(post("{\"model\":\"thinker\",\"input\":\"hi\",\"include\":[\"reasoning.encrypted_content\"]}"));
        assertEquals("hmm", asked.get("output").get(0).get("encrypted_content").asText());

        JsonNode calls = Http.json(post("{\"model\":\"tools\",\"input\":\"weather?\",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\"}]}"));
        assertEquals("completed", calls.get("status").asText());
        assertEquals(List.of("function_call"), types(calls.get("output")), "no empty message beside the calls");
        JsonNode call = calls.get("output").get(0);
        assertTrue(call.get("id").asText().startsWith("fc_"));
        assertEquals("call_1", call.get("call_id").asText());
        assertEquals("get_weather", call.get("name").asText());
        assertEquals("completed", call.get("status").asText());
        assertTrue(call.get("arguments").isTextual(), "arguments are a JSON string");
        assertEquals(Map.of("city", "Paris"), Http.MAPPER.convertValue(Http.json(call.get("arguments").asText()), Map.class));
    }

    @Test
    void aLengthStopIsIncomplete() {
        JsonNode o = Http.json(post("{\"model\":\"cutoff\",\"input\":\"hi\",\"max_output_tokens\":1}"));
        assertEquals("incomplete", o.get("status").asText());
        assertEquals("max_output_tokens", o.get("incomplete_details").get("reason").asText());
        assertEquals("incomplete", o.get("output").get(0).get("status").asText());
        assertEquals("Once", o.get("output").get(0).get("content").get(0).get("text").asText());

        List<Http.Sse> events = stream("{\"model\":\"cutoff\",\"input\":\"hi\",\"stream\":true}");
        Http.Sse last = events.getLast();
        assertEquals("response.incomplete", last.event(), "OpenAI ends a cut response with response.incomplete");
        assertEquals("max_output_tokens", last.data().get("response").get("incomplete_details").get("reason").asText());
    }

    @Test
    void streamedText() {
        List<Http.Sse> events = stream("{\"model\":\"stories\",\"input\":\"Tell me a story\",\"stream\":true}");
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"), types(events));
        JsonNode created = events.get(0).data().get("response");
        assertEquals("in_progress", created.get("status").asText());
        assertEquals(0, created.get("output").size());
        assertTrue(created.get("usage").isNull());
        JsonNode added = events.get(2).data();
        assertEquals(0, added.get("output_index").asInt());
        String itemId = added.get("item").get("id").asText();
        assertEquals("in_progress", added.get("item").get("status").asText());
        assertEquals(0, added.get("item").get("content").size());
        assertEquals("output_text", events.get(3).data().get("part").get("type").asText());
        StringBuilder text = new StringBuilder();
        for (Http.Sse e : events.subList(4, 8)) {
            assertEquals(itemId, e.data().get("item_id").asText());
            assertEquals(0, e.data().get("output_index").asInt());
            assertEquals(0, e.data().get("content_index").asInt());
            text.append(e.data().get("delta").asText());
        }
        assertEquals("Once upon a time", text.toString());
        assertEquals("Once upon a time", events.get(8).data().get("text").asText());
        assertEquals("Once upon a time", events.get(9).data().get("part").get("text").asText());
        assertEquals("completed", events.get(10).data().get("item").get("status").asText());
        JsonNode response = events.getLast().data().get("response");
        assertEquals(created.get("id"), response.get("id"));
        assertEquals("completed", response.get("status").asText());
        assertEquals(itemId, response.get("output").get(0).get("id").asText());
        assertEquals("Once upon a time", response.get("output").get(0).get("content").get(0).get("text").asText());
        assertEquals(16, response.get("usage").get("total_tokens").asInt());
    }

    @Test
    void streamedReasoningThenAnswer() {
        List<Http.Sse> events = stream("{\"model\":\"thinker\",\"input\":\"hi\",\"stream\":true}");
        assertEquals(List.of("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta",
                "response.reasoning_text.done", "response.content_part.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed"), types(events));
        assertEquals("reasoning", events.get(2).data().get("item").get("type").asText());
        assertEquals("hmm", events.get(4).data().get("delta").asText());
        assertEquals("reasoning_text", events.get(6).data().get("part").get("type").asText());
        assertEquals(1, events.get(8).data().get("output_index").asInt(), "the answer is the second output item");
        assertEquals(1, events.get(10).data().get("output_index").asInt());
        JsonNode output = events.getLast().data().get("response").get("output");
        assertEquals(List.of("reasoning", "message"), types(output));
    }

    @Test
    void streamedToolCall() {
        List<Http.Sse> events = stream("{\"model\":\"tools\",\"input\":\"weather?\",\"stream\":true,\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\"}]}");
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
                "response.completed"), types(events));
        JsonNode added = events.get(2).data().get("item");
        assertEquals("function_call", added.get("type").asText());
        assertEquals("call_1", added.get("call_id").asText());
        assertEquals("get_weather", added.get("name").asText());
        assertEquals("", added.get("arguments").asText());
        assertEquals(added.get("id"), events.get(3).data().get("item_id"));
        assertEquals("{\"city\":\"Paris\"}", events.get(3).data().get("delta").asText());
        assertEquals("{\"city\":\"Paris\"}", events.get(4).data().get("arguments").asText());
        JsonNode output = events.getLast().data().get("response").get("output");
        assertEquals(List.of("function_call"), types(output));
        assertEquals("{\"city\":\"Paris\"}", output.get(0).get("arguments").asText());
    }

    @Test
    void aFailureMidStreamIsAnErrorEventThenResponseFailed() {
        List<Http.Sse> events = stream("{\"model\":\"broken\",\"input\":\"hi\",\"stream\":true}");
        assertEquals("response.output_text.delta", events.get(4).event(), types(events).toString());
        Http.Sse error = events.get(events.size() - 2);
        assertEquals("error", error.event());
        assertEquals("backend crashed", error.data().get("message").asText());
        assertEquals("internal_error", error.data().get("code").asText());
        assertEquals("server_error", error.data().get("error").get("type").asText());
        Http.Sse failed = events.getLast();
        assertEquals("response.failed", failed.event());
        assertEquals("failed", failed.data().get("response").get("status").asText());
        assertEquals("backend crashed", failed.data().get("response").get("error").get("message").asText());
    }

    @Test
    void aFailureBeforeAnyOutputIsAnHttpError() {
        HttpResponse<String> r = post("{\"model\":\"vanishing\",\"input\":\"hi\",\"stream\":true}");
        assertEquals(404, r.statusCode(), r.body());
        assertEquals("model 'vanishing' was deleted", Http.json(r).get("error").get("message").asText());
        assertEquals(404, post("{\"model\":\"nope\",\"input\":\"hi\"}").statusCode());
        assertEquals(503, post("{\"model\":\"busy\",\"input\":\"hi\",\"stream\":true}").statusCode());
    }

    @Test
    void previousResponseIdIsRefusedWithAReason() {
        HttpResponse<String> r = post("{\"model\":\"stories\",\"input\":\"and then?\",\"previous_response_id\":\"resp_123\"}");
        assertEquals(400, r.statusCode());
        JsonNode error = Http.json(r).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals("previous_response_id", error.get("param").asText());
        assertTrue(error.get("message").asText().contains("keeps no responses"), error.toString());
        assertTrue(error.get("message").asText().contains("whole conversation"), error.toString());
    }

    @Test
    void badInputIsA400InOpenAisShape() {
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("{not json", null);
        refused.put("{\"input\":\"hi\"}", "model");
        refused.put("{\"model\":\"stories\"}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":42}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[\"hi\"]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"type\":\"web_search_call\",\"id\":\"ws_1\"}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"content\":\"no role\"}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_id\":\"f\"}]}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"https://x/y.png\"}]}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\",\"arguments\":\"{oops\"}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\"}]}", "input");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"conversation\":\"conv_1\"}", "conversation");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"background\":true}", "background");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}", "tools");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"tools\":[{\"type\":\"function\"}]}", "name");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"tools\":[{\"type\":\"function\",\"name\":\"a\"}],\"tool_choice\":{\"type\":\"function\",\"name\":\"b\"}}", "tool_choice");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"tool_choice\":\"sometimes\"}", "tool_choice");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"xml\"}}}", "text.format");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"x\"}}}", "text.format");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"reasoning\":{\"effort\":\"extreme\"}}", "reasoning.effort");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"max_output_tokens\":0}", "max_output_tokens");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"temperature\":\"hot\"}", "temperature");
        refused.put("{\"model\":\"stories\",\"input\":\"hi\",\"stream\":\"yes\"}", "stream");
        refused.forEach((body, param) -> {
            HttpResponse<String> r = post(body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            JsonNode error = Http.json(r).get("error");
            assertEquals("invalid_request_error", error.get("type").asText(), body);
            assertFalse(error.get("message").asText().isBlank(), body);
            if (param == null) {
                assertTrue(error.get("param").isNull(), body + " -> " + error);
            } else {
                assertEquals(param, error.get("param").asText(), body + " -> " + error);
            }
        });
    }

    private static List<String> types(JsonNode items) {
        List<String> out = new java.util.ArrayList<>();
        items.forEach(i -> out.add(i.get("type").asText()));
        return out;
    }
}
