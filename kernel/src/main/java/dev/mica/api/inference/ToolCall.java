package dev.mica.api.inference;

import java.util.Map;

/** A call of a tool the client offered. {@code arguments} is a parsed JSON object. */
public record ToolCall(String id, String name, Map<String, Object> arguments) {}
