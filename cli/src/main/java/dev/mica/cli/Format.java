package dev.mica.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** Sizes, ages and tables the way Ollama's CLI prints them, so its users read mica at a glance. */
final class Format {
    private Format() {}

    /** Decimal units: "485 B", "1.4 KB", "600 MB", "2.0 GB". */
    static String bytes(long n) {
        String[] units = {"B", "KB", "MB", "GB", "TB", "PB"};
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        if (u == 0) return n + " B";
        return v >= 10 ? String.format(Locale.ROOT, "%d %s", (long) v, units[u]) : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** "4 minutes ago", "About an hour ago", "2 weeks ago", or "... from now" for the future. */
    static String age(Instant t, Instant now) {
        if (t == null) return "-";
        Duration d = Duration.between(t, now);
        boolean future = d.isNegative();
        d = d.abs();
        if (future && d.toDays() > 365 * 10) return "Forever";
        String suffix = future ? " from now" : " ago";
        long s = d.toSeconds();
        if (s < 1) return future ? "Less than a second from now" : "Less than a second ago";
        if (s < 60) return plural(s, "second") + suffix;
        long m = d.toMinutes();
        if (m < 2) return "About a minute" + suffix;
        if (m < 60) return plural(m, "minute") + suffix;
        long h = d.toHours();
        if (h < 2) return "About an hour" + suffix;
        if (h < 48) return plural(h, "hour") + suffix;
        long days = d.toDays();
        if (days < 14) return plural(days, "day") + suffix;
        if (days < 60) return plural(days / 7, "week") + suffix;
        if (days < 730) return plural(days / 30, "month") + suffix;
        return plural(days / 365, "year") + suffix;
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }

    /** Go's duration style, as Ollama's --verbose prints: "1.234s", "56.7ms", "850µs". */
    static String duration(long nanos) {
        if (nanos >= 1_000_000_000L) return trim(String.format(Locale.ROOT, "%.6f", nanos / 1e9)) + "s";
        if (nanos >= 1_000_000L) return trim(String.format(Locale.ROOT, "%.3f", nanos / 1e6)) + "ms";
        if (nanos >= 1_000L) return trim(String.format(Locale.ROOT, "%.3f", nanos / 1e3)) + "µs";
        return nanos + "ns";
    }

    private static String trim(String decimal) {
        String s = decimal.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** Columns padded to their widest cell plus four spaces, like Go's tabwriter in Ollama. */
    static void table(PrintStream out, List<String[]> rows) {
        if (rows.isEmpty()) return;
        int[] width = new int[rows.getFirst().length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                sb.append(r[i]);
                if (i < r.length - 1) sb.append(" ".repeat(width[i] - r[i].length() + 4));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    /** The first 12 hex digits of a digest, the ID Ollama shows. */
    static String shortId(String digest) {
        String hex = digest == null ? "" : digest.startsWith("sha256:") ? digest.substring(7) : digest;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }
}
