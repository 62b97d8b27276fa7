package dev.mica.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's byte-level alphabet: every byte is given a printable code point (the printable Latin-1
 * bytes stand for themselves, the others take U+0100 upwards in byte order), so byte-level BPE
 * vocabularies store arbitrary bytes as text ("Ġ" is the space byte). Same table as llama.cpp's
 * unicode_byte_to_utf8_map and Hugging Face's bytes_to_unicode.
 */
final class ByteLevel {
    private ByteLevel() {}

    private static final int[] BYTE_TO_CODEPOINT = new int[256];
    /** The inverse, indexed by code point (all mapped code points are below U+0144). */
    private static final int[] CODEPOINT_TO_BYTE = new int[0x200];
    /** The UTF-8 of each byte's code point, as byte strings: the byte-level encoding's unit. */
    private static final String[] BYTE_TO_UTF8 = new String[256];

    static {
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        Arrays.fill(CODEPOINT_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            int cp = printable[b] ? b : next++;
            BYTE_TO_CODEPOINT[b] = cp;
            CODEPOINT_TO_BYTE[cp] = b;
            ByteBuilder utf8 = new ByteBuilder(2);
            Utf8.append(utf8, cp);
            BYTE_TO_UTF8[b] = utf8.toByteString();
        }
    }

    static int codepoint(int b) {
        return BYTE_TO_CODEPOINT[b & 0xFF];
    }

    /** The byte a code point stands for, or -1 if it is not in the alphabet. */
    static int byteOf(int cp) {
        return cp >= 0 && cp < CODEPOINT_TO_BYTE.length ? CODEPOINT_TO_BYTE[cp] : -1;
    }

    /** Appends the byte-level encoding of {@code bytes} to {@code out} (a byte string builder). */
    static void encode(byte[] bytes, int offset, int length, StringBuilder out) {
        for (int i = offset; i < offset + length; i++) {
            out.append(BYTE_TO_UTF8[bytes[i] & 0xFF]);
        }
    }
}
