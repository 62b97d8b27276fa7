package dev.mica.engine.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.ToolCall;
import dev.mica.engine.output.ChatFormat.ToolSyntax;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputParserTest {
    private static final List<Map<String, Object>> TOOLS = List.of(Map.of("type", "function", "function", Map.of(
            "name", "get_weather",
            "parameters", Map.of("type", "object", "properties", Map.of(
                    "location", Map.of("type", "string"),
                    "days", Map.of("type", "integer"),
                    "zip", Map.of("type", "string"),
                    "options", Map.of("type", "object"))))));
    private static final ChatFormat QWEN3 = new ChatFormat(true, ToolSyntax.HERMES_JSON);
    private static final ChatFormat QWEN35 = new ChatFormat(true, ToolSyntax.QWEN_XML);
    private static final ChatFormat LLAMA3 = new ChatFormat(false, ToolSyntax.LLAMA3_JSON);

    /** What came out, merged: consecutive text and thinking events joined, calls as they were. */
    private record Output(String content, String thinking, List<ToolCall> calls, List<String> order) {}

    private static Output run(ChatFormat format, boolean startsThinking, boolean tools, List<String> pieces) {
        OutputParser parser = new OutputParser(format, startsThinking, tools ? new ToolCallDecoder(TOOLS) : null);
        List<GenerationEvent> events = new ArrayList<>();
        for (String p : pieces) parser.feed(p, events::add);
        parser.finish(events::add);
        StringBuilder content = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        List<String> order = new ArrayList<>();
        for (GenerationEvent e : events) {
            String kind = switch (e) {
                case GenerationEvent.Token t -> {
                    assertTrue(!t.text().isEmpty(), "no empty text events");
                    content.append(t.text());
                    yield "text";
                }
                case GenerationEvent.Thinking t -> {
                    thinking.append(t.text());
                    yield "thinking";
                }
                case GenerationEvent.ToolCalls c -> {
                    calls.addAll(c.calls());
                    yield "call";
                }
                case GenerationEvent.Done d -> throw new AssertionError(d);
            };
            if (order.isEmpty() || !order.getLast().equals(kind) || kind.equals("call")) order.add(kind);
        }
        return new Output(content.toString(), thinking.toString(), calls, order);
    }

    /** The same output fed whole, one character at a time, and in uneven chunks must parse alike. */
    private static Output parse(ChatFormat format, boolean startsThinking, boolean tools, String text) {
        Output whole = run(format, startsThinking, tools, List.of(text));
        List<String> chars = text.codePoints().mapToObj(Character::toString).toList();
        assertEquals(whole, run(format, startsThinking, tools, chars), "fed character by character");
        List<String> chunks = new ArrayList<>();
        for (int i = 0, n = 1; i < text.length(); i += n, n = n % 5 + 2) chunks.add(text.substring(i, Math.min(text.length(), i + n)));
        assertEquals(whole, run(format, startsThinking, tools, chunks), "fed in chunks");
        return whole;
    }

    @Test
    void qwen3ThinksThenAnswers() {
        Output o = parse(QWEN3, false, false, "<think>\nLet me add.\n</think>\n\nIt is 4.");
        assertEquals("\nLet me add.\n", o.thinking());
        assertEquals("It is 4.", o.content());
        assertEquals(List.of("thinking", "text"), o.order());
    }

    @Test
    void aPromptThatOpenedTheThinkBlockStartsInThinking() {
        Output o = parse(QWEN35, true, false, "hmm, 2+2\n</think>\n\nFour.");
        assertEquals("hmm, 2+2\n", o.thinking());
        assertEquals("Four.", o.content());
    }

    @Test
    void thinkingThatNeverClosesStaysThinking() {
        Output o = parse(QWEN3, true, false, "still thinking <thi");
        assertEquals("still thinking <thi", o.thinking());
        assertEquals("", o.content());
    }

    @Test
    void thinkTagsAfterTheAnswerStartedAreText() {
        Output o = parse(QWEN3, false, false, "Use <think> tags like this.");
        assertEquals("Use <think> tags like this.", o.content());
    }

    @Test
    void hermesCallsAfterThinking() {
        String text = "<think>\nweather tool\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"days\": 2}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"location\\\": \\\"Tokyo\\\"}\"}\n</tool_call>";
        Output o = parse(QWEN3, false, true, text);
        assertEquals("\nweather tool\n", o.thinking());
        assertEquals("", o.content());
        assertEquals(List.of("thinking", "call", "call"), o.order());
        assertEquals(new ToolCall(null, "get_weather", Map.of("location", "Paris", "days", 2)), o.calls().get(0));
        assertEquals(new ToolCall(null, "get_weather", Map.of("location", "Tokyo")), o.calls().get(1), "string arguments are parsed");
        assertEquals(List.of("location", "days"), List.copyOf(o.calls().get(0).arguments().keySet()), "argument order kept");
    }

    @Test
    void textBeforeACallIsAnswerAndAMalformedCallStaysText() {
        Output o = parse(QWEN3, false, true, "Checking.<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Oslo\"}}</tool_call>");
        assertEquals("Checking.", o.content());
        assertEquals(1, o.calls().size());
        Output bad = parse(QWEN3, false, true, "<tool_call>{not json}</tool_call> sorry");
        assertEquals("<tool_call>{not json}</tool_call> sorry", bad.content());
        assertEquals(0, bad.calls().size());
    }

    @Test
    void anUnclosedCallIsDecodedAtTheEnd() {
        Output o = parse(QWEN3, false, true, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n");
        assertEquals(List.of(new ToolCall(null, "get_weather", Map.of())), o.calls());
    }

    @Test
    void withoutToolsOfferedCallTagsAreText() {
        Output o = parse(QWEN3, false, false, "<tool_call>{\"name\": \"x\"}</tool_call>");
        assertEquals("<tool_call>{\"name\": \"x\"}</tool_call>", o.content());
    }

    @Test
    void qwenXmlParametersAreTypedByTheSchema() {
        String text = "<tool_call>\n<function=get_weather>\n<parameter=location>\nParis, France\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
                + "<parameter=zip>\n75001\n</parameter>\n<parameter=options>\n{\"metric\": true}\n</parameter>\n<parameter=note>\nmulti\nline\n</parameter>\n"
                + "</function>\n</tool_call>";
        Output o = parse(QWEN35, false, true, text);
        assertEquals(1, o.calls().size());
        Map<String, Object> args = o.calls().getFirst().arguments();
        assertEquals("Paris, France", args.get("location"));
        assertEquals(3, args.get("days"));
        assertEquals("75001", args.get("zip"), "a string parameter stays a string even when it looks like a number");
        assertEquals(Map.of("metric", true), args.get("options"));
        assertEquals("multi\nline", args.get("note"), "an unknown parameter that is not JSON stays text");
    }

    @Test
    void llama3AnswersThatAreJsonCallsBecomeCalls() {
        Output o = parse(LLAMA3, false, true, "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Rome\"}}");
        assertEquals(List.of(new ToolCall(null, "get_weather", Map.of("location", "Rome"))), o.calls());
        assertEquals("", o.content());
        Output tagged = parse(LLAMA3, false, true, "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"q\": \"x; y\"}}");
        assertEquals(List.of("a", "b"), tagged.calls().stream().map(ToolCall::name).toList());
        assertEquals("x; y", tagged.calls().get(1).arguments().get("q"), "separators inside strings are text");
        Output prose = parse(LLAMA3, false, true, "The weather is {sunny}.");
        assertEquals("The weather is {sunny}.", prose.content());
        Output notACall = parse(LLAMA3, false, true, "{\"answer\": 42}");
        assertEquals("{\"answer\": 42}", notACall.content(), "JSON that is not a call is the answer");
    }

    @Test
    void formatsAreReadFromTemplates() {
        assertEquals(new ChatFormat(true, ToolSyntax.HERMES_JSON), ChatFormat.of("{% if tools %}<tool_call>...{% endif %}<think>"));
        assertEquals(new ChatFormat(true, ToolSyntax.QWEN_XML), ChatFormat.of("<tool_call>\n<function=name>... <think>"));
        assertEquals(new ChatFormat(false, ToolSyntax.LLAMA3_JSON), ChatFormat.of("<|start_header_id|>... {\"name\": function name, \"parameters\": ...}"));
        assertEquals(ChatFormat.PLAIN, ChatFormat.of("{{ messages }}"));
        assertEquals(ChatFormat.PLAIN, ChatFormat.of(null));
    }
}
