package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextAssemblerTest {
    @Test
    void stitchesUtf8SplitAcrossTokens() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        TextAssembler t = new TextAssembler(List.of());
        assertEquals("", t.add(new byte[] {euro[0]}));
        assertEquals("", t.add(new byte[] {euro[1]}));
        assertEquals("€", t.add(new byte[] {euro[2], 'x'}).substring(0, 1));
    }

    @Test
    void holdsBackAPossibleStopAndCutsAtIt() {
        TextAssembler t = new TextAssembler(List.of("<|end|>"));
        assertEquals("Hello ", t.add("Hello <|".getBytes(StandardCharsets.UTF_8)));
        assertEquals("", t.add("en".getBytes(StandardCharsets.UTF_8)));
        assertEquals("", t.add("d|> more".getBytes(StandardCharsets.UTF_8)));
        assertTrue(t.stopped());
        assertEquals("", t.finish());
    }

    @Test
    void releasesHeldTextThatTurnsOutNotToBeAStop() {
        TextAssembler t = new TextAssembler(List.of("STOP"));
        assertEquals("a", t.add("aST".getBytes(StandardCharsets.UTF_8)));
        assertEquals("STx", t.add("x".getBytes(StandardCharsets.UTF_8)));
        assertEquals("S", t.add("S".getBytes(StandardCharsets.UTF_8)) + t.finish());
        assertFalse(t.stopped());
    }

    @Test
    void incompleteUtf8AtTheEndBecomesAReplacementCharacter() {
        TextAssembler t = new TextAssembler(List.of());
        assertEquals("", t.add(new byte[] {(byte) 0xE2, (byte) 0x82}));
        assertEquals("\uFFFD", t.finish());
    }

    @Test
    void parsesOllamaKeepAliveDurations() {
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofSeconds(30), Durations.parse("30"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertTrue(Durations.parse("-1").isNegative());
        assertTrue(Durations.parse("-1m").isNegative());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Durations.parse("5 minutes"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Durations.parse(""));
    }
}
