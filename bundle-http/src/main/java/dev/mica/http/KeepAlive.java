package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: a number of seconds, or a Go duration string ("5m", "1h30m",
 * "300ms", "-1m"). As in Ollama, any negative value keeps the model loaded forever; the contract
 * reads a negative {@link Duration} that way. Unlike Go's ParseDuration, a bare number in a
 * string ("-1", "300") means seconds, because Ollama's documentation writes {@code "keep_alive": "-1"}.
 */
final class KeepAlive {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(?:\\.\\d*)?|\\.\\d+)");

    private KeepAlive() {}

    /** Null when absent: the engine's default applies. */
    static Duration parse(JsonNode value, String field) {
        if (value == null || value.isNull()) return null;
        if (value.isNumber()) {
            return seconds(value.decimalValue(), field, value.asText());
        }
        if (!value.isTextual()) {
            throw ApiException.badField(field, "invalid " + field + ": expected a number of seconds or a duration such as \"5m\"");
        }
        return parse(value.textValue().trim(), field);
    }

    static Duration parse(String text, String field) {
        if (text.isEmpty()) {
            throw invalid(field, text);
        }
        if (NUMBER.matcher(text).matches()) {
            return seconds(new BigDecimal(text), field, text);
        }
        int i = 0;
        boolean negative = false;
        if (text.charAt(0) == '-' || text.charAt(0) == '+') {
            negative = text.charAt(0) == '-';
            i = 1;
        }
        Matcher m = PART.matcher(text);
        BigDecimal nanos = BigDecimal.ZERO;
        boolean any = false;
        while (i < text.length()) {
            if (!m.find(i) || m.start() != i) {
                throw invalid(field, text);
            }
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos(m.group(2)))));
            i = m.end();
            any = true;
        }
        if (!any) throw invalid(field, text);
        return nanos(negative ? nanos.negate() : nanos, field, text);
    }

    private static Duration seconds(BigDecimal seconds, String field, String text) {
        return nanos(seconds.multiply(BigDecimal.valueOf(1_000_000_000L)), field, text);
    }

    private static Duration nanos(BigDecimal nanos, String field, String text) {
        try {
            return Duration.ofNanos(nanos.setScale(0, java.math.RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw ApiException.badField(field, "invalid " + field + ": duration out of range: " + text);
        }
    }

    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException(unit);
        };
    }

    private static ApiException invalid(String field, String text) {
        return ApiException.badField(field, "invalid " + field + ": \"" + text + "\" is not a duration (use seconds or e.g. \"5m\", \"1h30m\", \"-1\")");
    }
}
