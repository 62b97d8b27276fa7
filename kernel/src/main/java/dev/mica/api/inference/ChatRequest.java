package dev.mica.api.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * /api/chat and the chat APIs of OpenAI and Anthropic. {@code tools} are JSON-schema function
 * definitions as parsed JSON ({"type":"function","function":{...}}), passed to the chat template.
 * {@code conversationId} is a stable key clients may send (for cache placement and A/B splits).
 * {@code toolsRequired}: the answer must be a call of one of {@code tools} (OpenAI's
 * {@code tool_choice: "required"} or a named function, Anthropic's {@code any} or {@code tool});
 * the engine then constrains the output to the model family's tool-call syntax.
 */
public record ChatRequest(
        String model,
        List<Message> messages,
        List<Map<String, Object>> tools,
        OutputFormat format,
        Options options,
        Duration keepAlive,
        Think think,
        boolean logprobs,
        int topLogprobs,
        String conversationId,
        boolean toolsRequired) {

    /** As before tool choice existed: tools are offered, not required. */
    public ChatRequest(String model, List<Message> messages, List<Map<String, Object>> tools, OutputFormat format, Options options,
                       Duration keepAlive, Think think, boolean logprobs, int topLogprobs, String conversationId) {
        this(model, messages, tools, format, options, keepAlive, think, logprobs, topLogprobs, conversationId, false);
    }

    public ChatRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        options = options == null ? Options.NONE : options;
        if (toolsRequired && tools.isEmpty()) throw new IllegalArgumentException("a tool call is required but no tools are given");
    }

    public static ChatRequest of(String model, List<Message> messages) {
        return new ChatRequest(model, messages, null, null, null, null, null, false, 0, null);
    }
}
