package dev.mica.tokenizer;

/**
 * UTF-8 exactly as llama.cpp's unicode.cpp reads and writes it, quirks included: a malformed
 * sequence becomes U+FFFD and costs one byte, overlong forms and surrogates are not rejected, and a
 * character's length is judged by its first byte alone where the text is cut into symbols.
 */
final class Utf8 {
    private Utf8() {}

    static final int REPLACEMENT = 0xFFFD;

    private static final int[] LENGTH_BY_HIGH_BITS = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};

    /** unicode_len_utf8: 1 for ASCII and for a stray continuation byte, else what the lead byte says. */
    static int sequenceLength(byte lead) {
        return LENGTH_BY_HIGH_BITS[(lead & 0xFF) >>> 4];
    }

    /** unicode_cpts_from_utf8 over {@code bytes[offset, offset + length)}. */
    static IntList codepoints(byte[] bytes, int offset, int length) {
        IntList out = new IntList(length);
        int end = offset + length;
        int i = offset;
        while (i < end) {
            int b0 = bytes[i] & 0xFF;
            int cp = -1;
            int n = 0;
            if ((b0 & 0x80) == 0) {
                cp = b0;
                n = 1;
            } else if ((b0 & 0x40) == 0) {
                n = 0; // a continuation byte cannot start a character
            } else if ((b0 & 0x20) == 0) {
                if (continuations(bytes, i, end, 1)) {
                    cp = ((b0 & 0x1F) << 6) | (bytes[i + 1] & 0x3F);
                    n = 2;
                }
            } else if ((b0 & 0x10) == 0) {
                if (continuations(bytes, i, end, 2)) {
                    cp = ((b0 & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F);
                    n = 3;
                }
            } else if ((b0 & 0x08) == 0) {
                if (continuations(bytes, i, end, 3)) {
                    cp = ((b0 & 0x07) << 18) | ((bytes[i + 1] & 0x3F) << 12) | ((bytes[i + 2] & 0x3F) << 6)
                            | (bytes[i + 3] & 0x3F);
                    n = 4;
                }
            }
            if (n == 0) {
                out.add(REPLACEMENT);
                i++;
            } else {
                out.add(cp);
                i += n;
            }
        }
        return out;
    }

    private static boolean continuations(byte[] bytes, int lead, int end, int count) {
        if (lead + count >= end) {
            return false;
        }
        for (int k = 1; k <= count; k++) {
            if ((bytes[lead + k] & 0xC0) != 0x80) {
                return false;
            }
        }
        return true;
    }

    /** unicode_cpt_to_utf8. */
    static void append(ByteBuilder out, int cp) {
        if (cp < 0 || cp > 0x10FFFF) {
            // llama.cpp throws here too (only reachable from malformed 4-byte input)
            throw new IllegalArgumentException("invalid code point 0x" + Integer.toHexString(cp));
        }
        if (cp <= 0x7F) {
            out.append(cp);
        } else if (cp <= 0x7FF) {
            out.append(0xC0 | (cp >> 6));
            out.append(0x80 | (cp & 0x3F));
        } else if (cp <= 0xFFFF) {
            out.append(0xE0 | (cp >> 12));
            out.append(0x80 | ((cp >> 6) & 0x3F));
            out.append(0x80 | (cp & 0x3F));
        } else {
            out.append(0xF0 | (cp >> 18));
            out.append(0x80 | ((cp >> 12) & 0x3F));
            out.append(0x80 | ((cp >> 6) & 0x3F));
            out.append(0x80 | (cp & 0x3F));
        }
    }
}
