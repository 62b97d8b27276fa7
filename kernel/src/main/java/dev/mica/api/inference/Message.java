package dev.mica.api.inference;

import java.util.List;

/**
 * A chat message. {@code images} are base64 strings; {@code toolName}/{@code toolCallId} identify
 * the call a "tool" message answers.
 */
public record Message(String role, String content, String thinking, List<String> images, List<ToolCall> toolCalls, String toolName, String toolCallId) {
    public Message {
        images = images == null ? List.of() : List.copyOf(images);
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static Message of(String role, String content) {
        return new Message(role, content, null, List.of(), List.of(), null, null);
    }
}
