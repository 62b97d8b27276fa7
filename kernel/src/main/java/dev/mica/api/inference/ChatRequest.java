package dev.mica.api.inference;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * /api/chat and the chat APIs of OpenAI and Anthropic. {@code tools} are JSON-schema function
 * definitions as parsed JSON ({"type":"function","function":{...}}), passed to the chat template.
 * {@code conversationId} is a stable key clients may send (for cache placement and A/B splits).
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
        String conversationId) {

    public ChatRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        options = options == null ? Options.NONE : options;
    }

    public static ChatRequest of(String model, List<Message> messages) {
        return new ChatRequest(model, messages, null, null, null, null, null, false, 0, null);
    }
}
