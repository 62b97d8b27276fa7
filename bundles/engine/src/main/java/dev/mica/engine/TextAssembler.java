package dev.mica.engine;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns token pieces into text a client may see: stitches UTF-8 characters split across tokens, and
 * holds back text that could be the start of a stop sequence until it is sure it is not one.
 */
final class TextAssembler {
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final List<String> stops;
    private ByteBuffer pendingBytes = ByteBuffer.allocate(64);
    private final StringBuilder held = new StringBuilder();
    private String stoppedBy;

    TextAssembler(List<String> stops) {
        this.stops = stops == null ? List.of() : stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Adds a token's bytes; returns the text now safe to emit (may be empty). */
    String add(byte[] piece) {
        if (stoppedBy != null) return "";
        if (pendingBytes.remaining() < piece.length) {
            ByteBuffer bigger = ByteBuffer.allocate(pendingBytes.capacity() * 2 + piece.length);
            pendingBytes.flip();
            bigger.put(pendingBytes);
            pendingBytes = bigger;
        }
        pendingBytes.put(piece);
        pendingBytes.flip();
        CharBuffer out = CharBuffer.allocate(pendingBytes.remaining() + 1);
        CoderResult r = utf8.decode(pendingBytes, out, false);
        if (r.isError()) {
            // REPLACE action means errors do not surface here; keep the compiler honest
            throw new IllegalStateException(r.toString());
        }
        pendingBytes.compact();
        out.flip();
        held.append(out);
        return release();
    }

    /** Flushes what is left at the end of generation (incomplete UTF-8 becomes U+FFFD). */
    String finish() {
        if (stoppedBy != null) return "";
        pendingBytes.flip();
        CharBuffer out = CharBuffer.allocate(pendingBytes.remaining() * 2 + 2);
        utf8.decode(pendingBytes, out, true);
        utf8.flush(out);
        pendingBytes.clear();
        out.flip();
        held.append(out);
        String rest = release();
        if (stoppedBy != null) return rest;
        String all = rest + held;
        held.setLength(0);
        return all;
    }

    /** True once a stop sequence appeared; the text before it has been released. */
    boolean stopped() {
        return stoppedBy != null;
    }

    /** The stop sequence that appeared, or null. */
    String stopSequence() {
        return stoppedBy;
    }

    private String release() {
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0) {
                stoppedBy = stop;
                String before = held.substring(0, at);
                held.setLength(0);
                return before;
            }
        }
        int keep = 0;
        for (String stop : stops) {
            keep = Math.max(keep, longestSuffixThatPrefixes(held, stop));
        }
        String ready = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return ready;
    }

    private static int longestSuffixThatPrefixes(CharSequence text, String stop) {
        int max = Math.min(text.length(), stop.length() - 1);
        for (int n = max; n > 0; n--) {
            boolean match = true;
            for (int i = 0; i < n && match; i++) {
                match = text.charAt(text.length() - n + i) == stop.charAt(i);
            }
            if (match) return n;
        }
        return 0;
    }
}
