package dev.mica.engine.grammar;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.engine.output.ChatFormat.ToolSyntax;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The grammar of an answer that must call a tool (OpenAI's {@code tool_choice: "required"},
 * Anthropic's {@code any}): one or more calls in the syntax the model's template taught it, the
 * JSON ones valid against each tool's parameter schema, as llama.cpp's server does. The output
 * parser then reads them as it reads any tool call.
 */
public final class ToolCallGrammar {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolCallGrammar() {}

    /**
     * GBNF whose start rule is {@code root}. {@code inThinking}: the prompt left a think block open,
     * so the answer first closes it (free text, then {@code </think>}).
     *
     * @param tools function tools as the chat request carries them ({"type":"function","function":{name, parameters}})
     * @throws InvalidSchemaException for a syntax that has no tool calls, or a parameter schema that cannot be compiled
     */
    public static String of(ToolSyntax syntax, List<Map<String, Object>> tools, boolean inThinking) throws InvalidSchemaException {
        List<String> names = new ArrayList<>();
        ArrayNode calls = JSON.createArrayNode();
        for (Map<String, Object> tool : tools) {
            Object f = tool.get("function");
            if (!(f instanceof Map<?, ?> function) || !(function.get("name") instanceof String name)) {
                throw new InvalidSchemaException("a tool without function.name cannot be required");
            }
            names.add(name);
            ObjectNode call = calls.addObject();
            call.put("type", "object");
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("const", name);
            Object parameters = function.get("parameters");
            properties.set(syntax == ToolSyntax.LLAMA3_JSON ? "parameters" : "arguments",
                    parameters == null ? JSON.createObjectNode().put("type", "object") : JSON.valueToTree(parameters));
            call.putArray("required").add("name").add(syntax == ToolSyntax.LLAMA3_JSON ? "parameters" : "arguments");
        }
        String opening = inThinking ? "[^<]* \"</think>\" [ \\n]* " : "";
        return switch (syntax) {
            case HERMES_JSON -> {
                String call = JsonSchemaGrammar.literal("<tool_call>\n") + " call " + JsonSchemaGrammar.literal("\n</tool_call>");
                yield "root ::= " + opening + call + " (" + JsonSchemaGrammar.literal("\n") + " " + call + ")*\n" + callRules(calls);
            }
            case LLAMA3_JSON -> "root ::= " + opening + "call\n" + callRules(calls);
            case QWEN_XML -> {
                StringBuilder g = new StringBuilder("root ::= ").append(opening).append("call (").append(JsonSchemaGrammar.literal("\n")).append(" call)*\n");
                g.append("call ::= ").append(JsonSchemaGrammar.literal("<tool_call>\n<function=")).append(" name ").append(JsonSchemaGrammar.literal(">\n"))
                        .append(" parameter* ").append(JsonSchemaGrammar.literal("</function>\n</tool_call>")).append('\n');
                g.append("name ::= ").append(String.join(" | ", names.stream().map(JsonSchemaGrammar::literal).toList())).append('\n');
                g.append("parameter ::= ").append(JsonSchemaGrammar.literal("<parameter=")).append(" [^>\\n]+ ").append(JsonSchemaGrammar.literal(">\n"))
                        .append(" [^<]* ").append(JsonSchemaGrammar.literal("\n</parameter>\n")).append('\n');
                yield g.toString();
            }
            case NONE -> throw new InvalidSchemaException("the model's chat template has no tool-call syntax, so a tool call cannot be required");
        };
    }

    /** The JSON alternatives as rule {@code call}: the schema grammar with its start rule (and any reference to it) renamed. */
    private static String callRules(ArrayNode calls) throws InvalidSchemaException {
        ObjectNode schema = JSON.createObjectNode();
        schema.set("anyOf", calls);
        return renameRoot(JsonSchemaGrammar.fromSchema(schema.toString()));
    }

    /** Every use of the rule name {@code root} outside literals and character classes, as {@code call}. */
    static String renameRoot(String grammar) {
        StringBuilder out = new StringBuilder(grammar.length());
        char quote = 0;
        for (int i = 0; i < grammar.length(); i++) {
            char c = grammar.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < grammar.length()) out.append(grammar.charAt(++i));
                else if (c == quote) quote = 0;
            } else if (c == '"' || c == '[') {
                quote = c == '"' ? '"' : ']';
                out.append(c);
            } else if (grammar.startsWith("root", i) && !nameChar(grammar, i - 1) && !nameChar(grammar, i + 4)) {
                out.append("call");
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean nameChar(String s, int i) {
        if (i < 0 || i >= s.length()) return false;
        char c = s.charAt(i);
        return Character.isLetterOrDigit(c) || c == '-' || c == '_';
    }
}
