package dev.mica.api.inference;

import java.util.List;

/** What a generation streams. */
public sealed interface GenerationEvent {
    /** Visible answer text. {@code logprob} is null unless asked for. */
    record Token(String text, Logprob logprob) implements GenerationEvent {}

    /** Reasoning text of a thinking model. */
    record Thinking(String text) implements GenerationEvent {}

    /** Tool calls the model made, parsed from its output. */
    record ToolCalls(List<ToolCall> calls) implements GenerationEvent {}

    /**
     * The end. {@code context} holds prompt and answer tokens for /api/generate's legacy context
     * field; {@code backend} says which backend ran it; {@code stopSequence} is the stop sequence
     * that ended the answer (reason STOP), or null when the model ended it itself.
     */
    record Done(DoneReason reason, Metrics metrics, int[] context, String backend, String stopSequence) implements GenerationEvent {
        /** A Done that no stop sequence caused (the 1.0 shape). */
        public Done(DoneReason reason, Metrics metrics, int[] context, String backend) {
            this(reason, metrics, context, backend, null);
        }
    }

    enum DoneReason {
        STOP("stop"), LENGTH("length"), CANCELLED("cancelled"), LOAD("load"), UNLOAD("unload");

        private final String wireName;

        DoneReason(String wireName) {
            this.wireName = wireName;
        }

        /** The name Ollama's API uses. */
        public String wireName() {
            return wireName;
        }
    }

    /** A sampled token's log-probability and the most likely alternatives. */
    record Logprob(String token, double logprob, byte[] bytes, List<Logprob> top) {}
}
