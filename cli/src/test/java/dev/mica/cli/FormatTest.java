package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Sizes, ages, durations and the progress bar as a user sees them. */
class FormatTest {
    @Test
    void sizesInDecimalUnitsAsOllamaPrintsThem() {
        assertEquals("485 B", Format.bytes(485));
        assertEquals("1.4 KB", Format.bytes(1429));
        assertEquals("600 MB", Format.bytes(600_000_000));
        assertEquals("1.3 GB", Format.bytes(1_321_082_688));
        assertEquals("20 GB", Format.bytes(20_000_000_000L));
    }

    @Test
    void agesAndTimesLeft() {
        Instant now = Instant.parse("2026-11-26T12:00:00Z");
        assertEquals("Less than a second ago", Format.age(now, now));
        assertEquals("45 seconds ago", Format.age(now.minusSeconds(45), now));
        assertEquals("About a minute ago", Format.age(now.minusSeconds(90), now));
        assertEquals("About an hour ago", Format.age(now.minus(Duration.ofMinutes(70)), now));
        assertEquals("3 days ago", Format.age(now.minus(Duration.ofDays(3)), now));
        assertEquals("2 weeks ago", Format.age(now.minus(Duration.ofDays(15)), now));
        assertEquals("4 minutes from now", Format.age(now.plusSeconds(270), now));
        assertEquals("Forever", Format.age(now.plus(Duration.ofDays(365 * 200)), now));
    }

    @Test
    void durationsInGosStyle() {
        assertEquals("1.5s", Format.duration(1_500_000_000L));
        assertEquals("120ms", Format.duration(120_000_000L));
        assertEquals("12.345ms", Format.duration(12_345_000L));
        assertEquals("850µs", Format.duration(850_000L));
    }

    @Test
    void onATerminalTheBlobLineIsRedrawnInPlaceAndEndsAtTheNextStatus() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressDisplay d = new ProgressDisplay(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        d.update("pulling manifest", 0, 0);
        d.update("pulling 74701a8c35f6", 1000, 0);
        d.update("pulling 74701a8c35f6", 1000, 1000);
        d.update("success", 0, 0);
        d.finish();
        String shown = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("\rpulling manifest\033[K"), shown);
        assertTrue(shown.contains("\rpulling 74701a8c35f6:   0% ▕                         ▏ 0 B/1.0 KB\033[K"), shown);
        assertTrue(shown.contains("\rpulling 74701a8c35f6: 100% ▕█████████████████████████▏ 1.0 KB/1.0 KB\033[K\n"), shown);
        assertTrue(shown.endsWith("\rsuccess\033[K\n"), shown);
    }

    @Test
    void elsewhereEachStatusIsOneLineAndARepeatedPlainStatusIsNotShownAgain() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressDisplay d = new ProgressDisplay(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        d.update("pulling aaaaaaaaaaaa", 2_000_000, 0);
        d.update("pulling aaaaaaaaaaaa", 2_000_000, 2_000_000);
        d.update("verifying sha256 digest", 0, 0);
        d.update("pulling bbbbbbbbbbbb", 39, 39);
        d.update("verifying sha256 digest", 0, 0);
        d.update("success", 0, 0);
        d.finish();
        assertEquals("pulling aaaaaaaaaaaa (2.0 MB)\nverifying sha256 digest\npulling bbbbbbbbbbbb (39 B)\nsuccess\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
