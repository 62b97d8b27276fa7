package dev.mica.engine;

import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.GenerationEvent.Logprob;
import dev.mica.api.inference.Inference.EventSink;
import dev.mica.engine.output.OutputParser;
import java.util.ArrayDeque;
import java.util.List;

/**
 * What one sequence's sampled tokens become for its client: bytes stitched into text and cut at a
 * stop sequence ({@link TextAssembler}), then split into answer, reasoning and tool calls
 * ({@link OutputParser}, when the model family has tags to parse), then events to the sink.
 *
 * <p>Log-probabilities, when asked for, ride on answer text: each sampled token's entry goes out
 * with the next answer event, in order. Tokens read inside reasoning or a tool call, and those
 * whose text turned out to open one, have their entries dropped; entries left at the end go out
 * on empty answer events.
 */
final class TokenOutput {
    private final TextAssembler text;
    private final OutputParser parser;
    private final boolean keepThinking;
    private final EventSink sink;
    private final ArrayDeque<Logprob> logprobs = new ArrayDeque<>();

    /**
     * @param parser null to pass text through as answer
     * @param keepThinking false drops reasoning (the client asked for no thinking)
     */
    TokenOutput(List<String> stops, OutputParser parser, boolean keepThinking, EventSink sink) {
        this.text = new TextAssembler(stops);
        this.parser = parser;
        this.keepThinking = keepThinking;
        this.sink = sink;
    }

    /** A sampled token's bytes ({@code piece}; empty for control tokens), with its log-probability or null. */
    void token(byte[] piece, Logprob logprob) {
        if (logprob != null && (parser == null || parser.inAnswer())) logprobs.add(logprob);
        String ready = piece.length == 0 ? "" : text.add(piece);
        if (!ready.isEmpty()) route(ready);
    }

    /** The generation ended: flush held text, decode what the parser held, and any log-probabilities left. */
    void finish() {
        String rest = text.finish();
        if (!rest.isEmpty()) route(rest);
        if (parser != null) parser.finish(this::emit);
        while (!logprobs.isEmpty()) sink.accept(new GenerationEvent.Token("", logprobs.poll()));
    }

    /** Whether the model is reasoning now (inside a think block its template uses). */
    boolean thinking() {
        return parser != null && parser.thinking();
    }

    boolean stopped() {
        return text.stopped();
    }

    String stopSequence() {
        return text.stopSequence();
    }

    private void route(String ready) {
        if (parser == null) {
            emit(new GenerationEvent.Token(ready, null));
        } else {
            parser.feed(ready, this::emit);
        }
    }

    private void emit(GenerationEvent event) {
        switch (event) {
            case GenerationEvent.Token t -> sink.accept(logprobs.isEmpty() ? t : new GenerationEvent.Token(t.text(), logprobs.poll()));
            case GenerationEvent.Thinking t -> {
                logprobs.clear();
                if (keepThinking) sink.accept(t);
            }
            case GenerationEvent.ToolCalls c -> {
                logprobs.clear();
                sink.accept(c);
            }
            case GenerationEvent.Done d -> throw new IllegalArgumentException("the output does not end generations");
        }
    }
}
