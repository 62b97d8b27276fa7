package dev.mica.engine.output;

/**
 * How a model family marks reasoning and tool calls in its output, read from its chat template:
 * what the template writes for past turns is what the model was trained to produce.
 *
 * @param thinkTags reasoning comes between {@code <think>} and {@code </think>} (Qwen3, DeepSeek-R1, ...)
 * @param tools how tool calls are written
 */
public record ChatFormat(boolean thinkTags, ToolSyntax tools) {
    public static final ChatFormat PLAIN = new ChatFormat(false, ToolSyntax.NONE);

    /** Tool call syntaxes mica parses. */
    public enum ToolSyntax {
        NONE,
        /** {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}: Hermes, Qwen2.5, Qwen3. */
        HERMES_JSON,
        /**
         * {@code <tool_call><function=NAME><parameter=P>value</parameter></function></tool_call>}:
         * Qwen3-Coder, Qwen3.5.
         */
        QWEN_XML,
        /** A bare {@code {"name": ..., "parameters": {...}}} answer, optionally after {@code <|python_tag|>}: Llama 3.1-3.3. */
        LLAMA3_JSON
    }

    /** The format a chat template implies; {@link #PLAIN} for none (or no template). */
    public static ChatFormat of(String template) {
        if (template == null || template.isBlank()) return PLAIN;
        boolean think = template.contains("<think>");
        ToolSyntax tools;
        if (template.contains("<tool_call>")) {
            tools = template.contains("<function=") ? ToolSyntax.QWEN_XML : ToolSyntax.HERMES_JSON;
        } else if (template.contains("<|python_tag|>") || template.contains("<|start_header_id|>") && template.contains("\"parameters\"")) {
            tools = ToolSyntax.LLAMA3_JSON;
        } else {
            tools = ToolSyntax.NONE;
        }
        return new ChatFormat(think, tools);
    }

    /** Whether output needs parsing at all, given whether tools were offered. */
    public boolean parses(boolean toolsOffered) {
        return thinkTags || toolsOffered && tools != ToolSyntax.NONE;
    }
}
