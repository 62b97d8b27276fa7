package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.GenerationEvent.Logprob;
import dev.mica.engine.output.ChatFormat;
import dev.mica.engine.output.OutputParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenOutputTest {
    private static Logprob lp(String token) {
        return new Logprob(token, -1, token.getBytes(StandardCharsets.UTF_8), List.of());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void logprobsRideOnAnswerTextInOrderAndReasoningsAreDropped() {
        List<GenerationEvent> events = new ArrayList<>();
        TokenOutput out = new TokenOutput(List.of("STOP"), new OutputParser(new ChatFormat(true, ChatFormat.ToolSyntax.NONE), false, null), true, events::add);
        out.token(b("<think>"), lp("<think>"));
        out.token(b("hm"), lp("hm"));
        out.token(b("</think>"), lp("</think>"));
        out.token(b("Hi"), lp("Hi"));
        out.token(b(" ST"), lp(" ST"));
        out.token(b("ay"), lp("ay"));
        out.finish();
        List<String> shown = new ArrayList<>();
        for (GenerationEvent e : events) {
            switch (e) {
                case GenerationEvent.Thinking t -> shown.add("think:" + t.text());
                case GenerationEvent.Token t -> shown.add("text:" + t.text() + "@" + (t.logprob() == null ? "-" : t.logprob().token()));
                default -> throw new AssertionError(e);
            }
        }
        assertEquals(List.of("think:hm", "text:Hi@Hi", "text: @ ST", "text:STay@ay"), shown,
                "reasoning tokens' entries go with the reasoning; text held back (a possible stop) goes out with the next entry");
    }

    @Test
    void aStopSequenceEndsTheTextAndIsReported() {
        List<GenerationEvent> events = new ArrayList<>();
        TokenOutput out = new TokenOutput(List.of("END"), null, true, events::add);
        out.token(b("one E"), null);
        out.token(b("ND two"), null);
        out.finish();
        assertEquals(List.of(new GenerationEvent.Token("one ", null)), events);
        assertEquals("END", out.stopSequence());
    }

    @Test
    void thinkingCanBeDropped() {
        List<GenerationEvent> events = new ArrayList<>();
        TokenOutput out = new TokenOutput(List.of(), new OutputParser(new ChatFormat(true, ChatFormat.ToolSyntax.NONE), true, null), false, events::add);
        out.token(b("secret</think>answer"), null);
        out.finish();
        assertEquals(List.of(new GenerationEvent.Token("answer", null)), events);
    }
}
