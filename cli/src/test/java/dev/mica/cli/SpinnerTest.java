package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SpinnerTest {
    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(screen, true, StandardCharsets.UTF_8);

    private String screen() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalItDrawsAtOnceAndClearsItsLineOnceWhenClosed() {
        Spinner s = Spinner.start(err, true, "loading m");
        assertTrue(screen().startsWith("\r⠋ loading m\033[K"), screen());
        s.close();
        s.close();
        assertTrue(screen().endsWith("\r\033[K"), screen());
        assertEquals(screen().indexOf("\r\033[K"), screen().lastIndexOf("\r\033[K"), "a second close clears nothing more: " + screen());
    }

    @Test
    void withoutTextItDrawsTheFramesAlone() {
        try (Spinner s = Spinner.start(err, true, "")) {
            assertTrue(screen().startsWith("\r⠋\033[K"), screen());
        }
    }

    @Test
    void elsewhereItWritesNothing() {
        try (Spinner s = Spinner.start(err, false, "loading m")) {
            assertEquals("", screen());
        }
        assertEquals("", screen());
    }
}
