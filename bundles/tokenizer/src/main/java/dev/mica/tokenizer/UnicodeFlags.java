package dev.mica.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The code point classes of llama.cpp's unicode tables (unicode_cpt_flags): one general category
 * (\p{N}, \p{L}, \p{Z}, \p{M}, \p{P}, \p{S}, \p{C}, or undefined) plus whether it is whitespace
 * (\s). The data is llama.cpp's own (unicode-flags.txt, made by gen-unicode-data.py), not the JDK's
 * Character classes, whose Unicode version differs: the pre-tokenizers must cut text where the
 * shipped llama.cpp cuts it.
 */
final class UnicodeFlags {
    private UnicodeFlags() {}

    static final int UNDEFINED = 0x0001;
    static final int NUMBER = 0x0002;
    static final int LETTER = 0x0004;
    static final int SEPARATOR = 0x0008;
    static final int ACCENT_MARK = 0x0010;
    static final int PUNCTUATION = 0x0020;
    static final int SYMBOL = 0x0040;
    static final int CONTROL = 0x0080;
    static final int WHITESPACE = 0x0100;

    static final int MAX_CODEPOINTS = 0x110000;

    private static final int BLOCK_BITS = 8;
    private static final int BLOCK = 1 << BLOCK_BITS;

    /**
     * Two levels: which block of 256 code points, then the flags within it. Most blocks are alike
     * (unassigned planes, CJK, private use), so the 1.1M code points fit in a few hundred blocks.
     */
    private static final char[] BLOCK_START;
    private static final short[] FLAGS;

    static {
        short[] all = load();
        Map<ShortBuffer, Integer> seen = new HashMap<>();
        int blocks = MAX_CODEPOINTS / BLOCK;
        char[] start = new char[blocks];
        short[] data = new short[MAX_CODEPOINTS];
        int used = 0;
        for (int b = 0; b < blocks; b++) {
            ShortBuffer block = ShortBuffer.wrap(all, b * BLOCK, BLOCK).slice();
            Integer index = seen.get(block);
            if (index == null) {
                index = used++;
                seen.put(block, index);
                System.arraycopy(all, b * BLOCK, data, index * BLOCK, BLOCK);
            }
            start[b] = (char) (int) index;
        }
        BLOCK_START = start;
        FLAGS = Arrays.copyOf(data, used * BLOCK);
    }

    /** unicode_cpt_flags_from_cpt: the flags of a code point; UNDEFINED beyond Unicode's range. */
    static int of(int cp) {
        if (cp < 0 || cp >= MAX_CODEPOINTS) {
            return UNDEFINED;
        }
        return FLAGS[(BLOCK_START[cp >>> BLOCK_BITS] << BLOCK_BITS) | (cp & (BLOCK - 1))];
    }

    private static short[] load() {
        short[] flags = new short[MAX_CODEPOINTS];
        Arrays.fill(flags, (short) UNDEFINED);
        try (InputStream in = UnicodeFlags.class.getResourceAsStream("unicode-flags.txt")) {
            if (in == null) {
                throw new IllegalStateException("unicode-flags.txt is missing from the tokenizer's resources");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String section = null;
            int previousStart = -1;
            int previousFlags = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                if (line.equals("ranges") || line.equals("whitespace")) {
                    section = line;
                    continue;
                }
                String[] parts = line.trim().split(" ");
                int cp = Integer.parseInt(parts[0], 16);
                if ("ranges".equals(section)) {
                    if (previousStart >= 0) {
                        Arrays.fill(flags, previousStart, cp, (short) previousFlags);
                    }
                    previousStart = cp;
                    previousFlags = Integer.parseInt(parts[1], 16);
                } else if ("whitespace".equals(section)) {
                    flags[cp] |= WHITESPACE;
                } else {
                    throw new IllegalStateException("unicode-flags.txt: data before a section: " + line);
                }
            }
            if (previousStart != MAX_CODEPOINTS) {
                throw new IllegalStateException("unicode-flags.txt: the ranges do not end at U+110000");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read unicode-flags.txt", e);
        }
        return flags;
    }
}
