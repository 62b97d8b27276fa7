package dev.mica.engine.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class JsonSchemaGrammarTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * llama.cpp's own expectations (its test-json-schema-to-grammar.cpp), byte for byte after
     * trimming indentation, but for the one deliberate difference: mica's {@code char} rule also
     * refuses surrogates and values past U+10FFFF.
     */
    @TestFactory
    Stream<DynamicTest> matchesLlamaCppOnItsOwnCases() throws Exception {
        JsonNode file;
        try (InputStream in = getClass().getResourceAsStream("/grammar/llama-cpp-cases.json")) {
            file = JSON.readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : file.get("cases")) {
            String name = c.get("name").asText();
            String schema = c.get("schema").asText();
            if (c.get("status").asText().equals("FAILURE")) {
                tests.add(DynamicTest.dynamicTest(name, () -> assertThrows(InvalidSchemaException.class, () -> JsonSchemaGrammar.fromSchema(schema))));
            } else {
                String expected = trim(c.get("grammar").asText()).replace("char ::= " + JsonSchemaGrammar.LLAMA_CPP_CHAR, "char ::= " + JsonSchemaGrammar.CHAR);
                tests.add(DynamicTest.dynamicTest(name, () -> assertEquals(expected, trim(JsonSchemaGrammar.fromSchema(schema)), schema)));
            }
        }
        return tests.stream();
    }

    /** As llama.cpp's test compares: outer whitespace and each line's indentation removed. */
    private static String trim(String s) {
        return s.strip().replaceAll("(?m)^[ \\t]+", "");
    }

    @Test
    void anyJsonObject() {
        String g = JsonSchemaGrammar.anyObject();
        assertTrue(g.startsWith("array ::= "), g);
        assertTrue(g.contains("\nroot ::= object\n"), g);
    }
}
