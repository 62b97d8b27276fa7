package dev.mica.engine.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.engine.output.ChatFormat.ToolSyntax;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolCallGrammarTest {
    private static final List<Map<String, Object>> TOOLS = List.of(Map.of("type", "function", "function",
            Map.of("name", "root", "parameters", Map.of("type", "object", "properties", Map.of("root", Map.of("const", "root"))))));

    @Test
    void theSchemaGrammarsStartRuleIsRenamedButNotTheWordInLiterals() throws Exception {
        String g = ToolCallGrammar.of(ToolSyntax.HERMES_JSON, TOOLS, false);
        assertEquals(1, g.lines().filter(l -> l.startsWith("root ::= ")).count(), g);
        assertTrue(g.lines().anyMatch(l -> l.startsWith("call ::= ")), g);
        assertTrue(g.contains("\\\"root\\\""), "a tool and a property named root stay in the literals: " + g);
        assertTrue(g.lines().filter(l -> l.startsWith("root ::= ")).findFirst().orElseThrow().contains("\"<tool_call>\\n\" call"), g);
        assertEquals("call ::= x \"root\" [root] call-root\n", ToolCallGrammar.renameRoot("root ::= x \"root\" [root] call-root\n"));
    }

    @Test
    void eachSyntaxHasItsShapeAndATemplateWithoutOneIsRefused() throws Exception {
        assertTrue(ToolCallGrammar.of(ToolSyntax.LLAMA3_JSON, TOOLS, false).contains("parameters"));
        String xml = ToolCallGrammar.of(ToolSyntax.QWEN_XML, TOOLS, true);
        assertTrue(xml.startsWith("root ::= [^<]* \"</think>\""), "an open think block is closed first: " + xml);
        assertTrue(xml.contains("name ::= \"root\""), xml);
        InvalidSchemaException e = assertThrows(InvalidSchemaException.class, () -> ToolCallGrammar.of(ToolSyntax.NONE, TOOLS, false));
        assertTrue(e.getMessage().contains("no tool-call syntax"));
        assertThrows(InvalidSchemaException.class, () -> ToolCallGrammar.of(ToolSyntax.HERMES_JSON, List.of(Map.of("type", "function")), false));
    }
}
