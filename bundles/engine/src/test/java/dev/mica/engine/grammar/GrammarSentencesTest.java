package dev.mica.engine.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.api.backend.Tokenizer;
import dev.mica.engine.output.ChatFormat.ToolSyntax;
import dev.mica.graph.grammar.TokenGrammar;
import dev.mica.graph.grammar.Vocabulary;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The grammars made here, run by the Java GBNF engine (the one the java and mlx backends sample
 * with): every llama.cpp case parses, and documents valid against a schema are sentences of its
 * grammar while invalid ones are not.
 */
class GrammarSentencesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EOS = 256;
    /** One token per byte, and an end token. */
    private static final Vocabulary BYTES = Vocabulary.of(new Tokenizer() {
        @Override
        public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
            return new int[0];
        }

        @Override
        public byte[] piece(int token) {
            return new byte[] {(byte) token};
        }

        @Override
        public boolean isEndOfGeneration(int token) {
            return token == EOS;
        }

        @Override
        public int vocabSize() {
            return EOS + 1;
        }
    });

    private static boolean sentence(String gbnf, String text) throws Exception {
        TokenGrammar g = TokenGrammar.compile(gbnf, "root", BYTES);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (!g.allows(b & 0xFF)) return false;
            g.accept(b & 0xFF);
        }
        return g.allows(EOS);
    }

    private static void check(String gbnf, List<String> valid, List<String> invalid) throws Exception {
        for (String v : valid) assertEquals(true, sentence(gbnf, v), () -> "should match: " + v + "\n" + gbnf);
        for (String v : invalid) assertEquals(false, sentence(gbnf, v), () -> "should not match: " + v + "\n" + gbnf);
    }

    @TestFactory
    Stream<DynamicTest> everyLlamaCppCaseParses() throws Exception {
        JsonNode file;
        try (InputStream in = getClass().getResourceAsStream("/grammar/llama-cpp-cases.json")) {
            file = JSON.readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : file.get("cases")) {
            if (c.get("status").asText().equals("FAILURE")) continue;
            String schema = c.get("schema").asText();
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> TokenGrammar.compile(JsonSchemaGrammar.fromSchema(schema), "root", BYTES)));
        }
        return tests.stream();
    }

    @Test
    void objectsWithBoundsEnumsAndOptionalProperties() throws Exception {
        String g = JsonSchemaGrammar.fromSchema("""
                {"type": "object", "properties": {
                   "name": {"type": "string", "maxLength": 5},
                   "age": {"type": "integer", "minimum": 0, "maximum": 120},
                   "member": {"type": "boolean"},
                   "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2}},
                 "required": ["name", "age", "member"]}""");
        check(g, List.of(
                        "{\"name\": \"Al\", \"age\": 30, \"member\": true}",
                        "{\"name\":\"Zoë\\n\",\"age\":120,\"member\":false,\"tags\":[\"a\",\"b\"]}",
                        "{\n  \"name\": \"\\u00e9\", \"age\": 0, \"member\": true, \"tags\": []}"),
                List.of(
                        "{\"name\": \"Al\", \"age\": 121, \"member\": true}",
                        "{\"name\": \"Al\", \"age\": 30}",
                        "{\"name\": \"Alice!\", \"age\": 30, \"member\": true}",
                        "{\"name\": \"Al\", \"age\": 030, \"member\": true}",
                        "{\"name\": \"Al\", \"age\": 30, \"member\": true, \"tags\": [\"c\"]}",
                        "{\"name\": \"Al\", \"age\": 30, \"member\": true, \"tags\": [\"a\", \"a\", \"b\"]}",
                        "{\"age\": 30, \"name\": \"Al\", \"member\": true}",
                        "{\"name\": \"A\tl\", \"age\": 30, \"member\": true}"));
    }

    @Test
    void patternsFormatsAndReferences() throws Exception {
        String g = JsonSchemaGrammar.fromSchema("""
                {"type": "object", "properties": {
                   "code": {"type": "string", "pattern": "^[A-Z]{3}-\\\\d{2,4}$"},
                   "when": {"type": "string", "format": "date"},
                   "at": {"$ref": "#/$defs/point"}},
                 "required": ["code", "when", "at"],
                 "$defs": {"point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "null"}]}}}""");
        check(g, List.of("{\"code\": \"ABC-12\", \"when\": \"2024-02-29\", \"at\": [-1.5e3, null]}"),
                List.of("{\"code\": \"AB-12\", \"when\": \"2024-02-29\", \"at\": [1, null]}",
                        "{\"code\": \"ABC-12345\", \"when\": \"2024-02-29\", \"at\": [1, null]}",
                        "{\"code\": \"ABC-12\", \"when\": \"2024-13-01\", \"at\": [1, null]}",
                        "{\"code\": \"ABC-12\", \"when\": \"2024-02-29\", \"at\": [1, 2]}"));
    }

    @Test
    void anyJsonObject() throws Exception {
        check(JsonSchemaGrammar.anyObject(),
                List.of("{}", "{\"a\": [1, {\"b\": null}, \"x\\\"y\", true, -0.5e-3], \"€\": {}}"),
                List.of("[]", "{\"a\": 1,}", "{\"a\": 01}", "{'a': 1}", "{\"a\": \"\u0001\"}", "{\"a\": \"\uD83D\uDE00\"} x"));
    }

    @Test
    void requiredToolCallsInEachSyntax() throws Exception {
        List<Map<String, Object>> tools = List.of(
                Map.of("type", "function", "function", Map.of("name", "get_weather", "parameters",
                        Map.of("type", "object", "properties", Map.of("city", Map.of("enum", List.of("Paris", "Oslo"))), "required", List.of("city")))),
                Map.of("type", "function", "function", Map.of("name", "now")));
        String call = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}";
        check(ToolCallGrammar.of(ToolSyntax.HERMES_JSON, tools, false),
                List.of("<tool_call>\n" + call + "\n</tool_call>",
                        "<tool_call>\n" + call + "\n</tool_call>\n<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>"),
                List.of("", call, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>",
                        "<tool_call>\n{\"name\": \"later\", \"arguments\": {}}\n</tool_call>", "<tool_call>\n" + call + "\n</tool_call>\n"));
        check(ToolCallGrammar.of(ToolSyntax.LLAMA3_JSON, tools, false),
                List.of("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}"),
                List.of(call));
        check(ToolCallGrammar.of(ToolSyntax.QWEN_XML, tools, true),
                List.of("Let me look.</think>\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>",
                        "</think><tool_call>\n<function=now>\n</function>\n</tool_call>"),
                List.of("<tool_call>\n<function=now>\n</function>\n</tool_call>",
                        "</think>\n<tool_call>\n<function=then>\n</function>\n</tool_call>"));
    }
}
