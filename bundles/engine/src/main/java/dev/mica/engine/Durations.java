package dev.mica.engine;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations as Ollama's keep_alive takes them: "5m", "1h30m", "90s", "-1", "0". */
final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private Durations() {}

    static Duration parse(String text) {
        String s = text.strip();
        if (s.matches("-?\\d+(\\.\\d+)?")) {
            double seconds = Double.parseDouble(s);
            return seconds < 0 ? Duration.ofSeconds(-1) : Duration.ofMillis((long) (seconds * 1000));
        }
        boolean negative = s.startsWith("-");
        if (negative) s = s.substring(1);
        Matcher m = PART.matcher(s);
        long nanos = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) throw new IllegalArgumentException("invalid duration '" + text + "'");
            double v = Double.parseDouble(m.group(1));
            double unit = switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            nanos += (long) (v * unit);
            end = m.end();
        }
        if (end != s.length() || end == 0) throw new IllegalArgumentException("invalid duration '" + text + "'");
        return negative ? Duration.ofSeconds(-1) : Duration.ofNanos(nanos);
    }
}
