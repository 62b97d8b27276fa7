package dev.mica.http;

import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.ToolCall;
import java.util.ArrayList;
import java.util.List;

/** What a non-streamed answer collects from the events: text, reasoning, tool calls, log-probabilities. */
final class Transcript implements EventPump.Listener {
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder thinking = new StringBuilder();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private final List<GenerationEvent.Logprob> logprobs = new ArrayList<>();

    @Override
    public void on(GenerationEvent event) {
        switch (event) {
            case GenerationEvent.Token t -> {
                content.append(t.text());
                if (t.logprob() != null) logprobs.add(t.logprob());
            }
            case GenerationEvent.Thinking t -> thinking.append(t.text());
            case GenerationEvent.ToolCalls c -> toolCalls.addAll(c.calls());
            case GenerationEvent.Done d -> { }
        }
    }

    String content() {
        return content.toString();
    }

    String thinking() {
        return thinking.toString();
    }

    List<ToolCall> toolCalls() {
        return toolCalls;
    }

    List<GenerationEvent.Logprob> logprobs() {
        return logprobs;
    }
}
