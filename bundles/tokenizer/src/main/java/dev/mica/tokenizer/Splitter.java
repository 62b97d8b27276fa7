package dev.mica.tokenizer;

import static dev.mica.tokenizer.UnicodeFlags.ACCENT_MARK;
import static dev.mica.tokenizer.UnicodeFlags.LETTER;
import static dev.mica.tokenizer.UnicodeFlags.NUMBER;
import static dev.mica.tokenizer.UnicodeFlags.WHITESPACE;

import java.util.ArrayList;
import java.util.List;

/**
 * The BPE pre-tokenizers: cut text into words before merging. Each is a hand-written matcher for
 * one regular expression, ported line by line from llama.cpp's unicode.cpp
 * (unicode_regex_split_custom_*), so the words come out exactly as libllama cuts them, including
 * its reading of the Unicode categories ({@link UnicodeFlags}).
 */
enum Splitter {
    /** {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} */
    GPT2,
    /**
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
     * (Llama 3)
     */
    LLAMA3,
    /** As LLAMA3 but one digit per word: {@code \p{N}} instead of {@code \p{N}{1,3}} (Qwen2). */
    QWEN2,
    /** As QWEN2 with combining marks joining letters: {@code [\p{L}\p{M}]+} (Qwen3.5). */
    QWEN35;

    private static final int OUT_OF_RANGE = -1;

    /** The regular expression of each splitter as tokenizer.json files spell it. */
    String pattern() {
        return switch (this) {
            case GPT2 -> "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
            case LLAMA3 -> "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
            case QWEN2 -> "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
            case QWEN35 -> "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        };
    }

    /**
     * unicode_regex_split for this one expression: the words of UTF-8 {@code text[offset, offset +
     * length)}, as byte strings; byte-level encoded (GPT-2's alphabet) when {@code byteEncode}.
     * Malformed UTF-8 is read as U+FFFD, as llama.cpp does.
     */
    List<String> split(byte[] text, int offset, int length, boolean byteEncode) {
        IntList cpts = Utf8.codepoints(text, offset, length);
        IntList lengths = lengths(cpts);
        List<String> words = new ArrayList<>(lengths.size());
        ByteBuilder utf8 = new ByteBuilder(64);
        StringBuilder encoded = new StringBuilder(64);
        int start = 0;
        for (int w = 0; w < lengths.size(); w++) {
            int end = start + lengths.get(w);
            utf8.clear();
            for (int i = start; i < end; i++) {
                Utf8.append(utf8, cpts.get(i));
            }
            if (byteEncode) {
                encoded.setLength(0);
                byte[] raw = utf8.toArray();
                ByteLevel.encode(raw, 0, raw.length, encoded);
                words.add(encoded.toString());
            } else {
                words.add(utf8.toByteString());
            }
            start = end;
        }
        return words;
    }

    /** The length (in code points) of each word of {@code cpts}. */
    IntList lengths(IntList cpts) {
        Words words = new Words(cpts);
        switch (this) {
            case GPT2 -> words.gpt2();
            case LLAMA3 -> words.llama3(3, false);
            case QWEN2 -> words.llama3(1, false);
            case QWEN35 -> words.llama3(1, true);
        }
        return words.lengths;
    }

    /** One pass over one text: the state of llama.cpp's lambdas (_get_cpt, _get_flags, _add_token). */
    private static final class Words {
        final IntList cpts;
        final int end;
        final IntList lengths;
        int prevEnd;

        Words(IntList cpts) {
            this.cpts = cpts;
            this.end = cpts.size();
            this.lengths = new IntList(Math.max(4, end / 3));
        }

        int cpt(int pos) {
            return pos >= 0 && pos < end ? cpts.get(pos) : OUT_OF_RANGE;
        }

        /** The flags of the code point at pos, or none at all (0) outside the text. */
        int flags(int pos) {
            return pos >= 0 && pos < end ? UnicodeFlags.of(cpts.get(pos)) : 0;
        }

        int addToken(int until) {
            int len = until - prevEnd;
            if (len > 0) {
                lengths.add(len);
            }
            prevEnd = until;
            return len;
        }

        /** unicode_regex_split_custom_gpt2. */
        void gpt2() {
            for (int pos = 0; pos < end; ) {
                int cpt = cpt(pos);
                int flags = flags(pos);

                // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
                if (cpt == '\'' && pos + 1 < end) {
                    int next = cpt(pos + 1);
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        pos += addToken(pos + 2);
                        continue;
                    }
                    if (pos + 2 < end) {
                        int nextNext = cpt(pos + 2);
                        if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e')
                                || (next == 'l' && nextNext == 'l')) {
                            pos += addToken(pos + 3);
                            continue;
                        }
                    }
                }

                int flags2 = cpt == ' ' ? flags(pos + 1) : flags;
                // <space>?\p{L}+
                if ((flags2 & LETTER) != 0) {
                    pos += cpt == ' ' ? 1 : 0;
                    while ((flags2 & LETTER) != 0) {
                        flags2 = flags(++pos);
                    }
                    addToken(pos);
                    continue;
                }
                // <space>?\p{N}+
                if ((flags2 & NUMBER) != 0) {
                    pos += cpt == ' ' ? 1 : 0;
                    while ((flags2 & NUMBER) != 0) {
                        flags2 = flags(++pos);
                    }
                    addToken(pos);
                    continue;
                }
                // <space>?[^\s\p{L}\p{N}]+
                if ((flags2 & (WHITESPACE | LETTER | NUMBER)) == 0 && flags2 != 0) {
                    pos += cpt == ' ' ? 1 : 0;
                    while ((flags2 & (WHITESPACE | LETTER | NUMBER)) == 0 && flags2 != 0) {
                        flags2 = flags(++pos);
                    }
                    addToken(pos);
                    continue;
                }

                int whitespaces = 0;
                while ((flags(pos + whitespaces) & WHITESPACE) != 0) {
                    whitespaces++;
                }
                // \s+(?!\S)
                if (whitespaces > 1 && cpt(pos + whitespaces) != OUT_OF_RANGE) {
                    pos += whitespaces - 1;
                    addToken(pos);
                    continue;
                }
                // \s+
                if (whitespaces > 0) {
                    pos += whitespaces;
                    addToken(pos);
                    continue;
                }
                // no match
                addToken(++pos);
            }
        }

        /**
         * unicode_regex_split_custom_llama3, _qwen2 ({@code maxDigits} 1) and _qwen35 ({@code marks}:
         * combining marks count with letters).
         */
        void llama3(int maxDigits, boolean marks) {
            int letterish = marks ? LETTER | ACCENT_MARK : LETTER;
            for (int pos = 0; pos < end; ) {
                int cpt = cpt(pos);
                int flags = flags(pos);

                // (?i:'s|'t|'re|'ve|'m|'ll|'d). llama.cpp lowercases with its own table, which maps
                // only ASCII A-Z onto these letters, so ASCII lowercasing is the same.
                if (cpt == '\'' && pos + 1 < end) {
                    int next = asciiLower(cpt(pos + 1));
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        pos += addToken(pos + 2);
                        continue;
                    }
                    if (pos + 2 < end) {
                        int nextNext = asciiLower(cpt(pos + 2));
                        if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e')
                                || (next == 'l' && nextNext == 'l')) {
                            pos += addToken(pos + 3);
                            continue;
                        }
                    }
                }

                // [^\r\n\p{L}\p{N}]?\p{L}+  (qwen35: [\p{L}\p{M}]+)
                if (!(cpt == '\r' || cpt == '\n' || (flags & NUMBER) != 0)) {
                    if ((flags & letterish) != 0 || (flags(pos + 1) & letterish) != 0) {
                        pos++;
                        while ((flags(pos) & letterish) != 0) {
                            pos++;
                        }
                        addToken(pos);
                        continue;
                    }
                }

                // \p{N}{1,3} (llama3), \p{N} (qwen2, qwen35)
                if ((flags & NUMBER) != 0) {
                    if (maxDigits == 1) {
                        pos++;
                        addToken(pos);
                        continue;
                    }
                    int ini = pos;
                    while ((flags(pos) & NUMBER) != 0) {
                        if (++pos - ini >= maxDigits) {
                            addToken(pos);
                            ini = pos;
                        }
                    }
                    addToken(pos);
                    continue;
                }

                // <space>?[^\s\p{L}\p{N}]+[\r\n]*  (qwen35 also excludes \p{M})
                int excluded = WHITESPACE | letterish | NUMBER;
                int flags2 = cpt == ' ' ? flags(pos + 1) : flags;
                if ((flags2 & excluded) == 0 && flags != 0) {
                    pos += cpt == ' ' ? 1 : 0;
                    while ((flags2 & excluded) == 0 && flags2 != 0) {
                        flags2 = flags(++pos);
                    }
                    int cpt2 = cpt(pos);
                    while (cpt2 == '\r' || cpt2 == '\n') {
                        cpt2 = cpt(++pos);
                    }
                    addToken(pos);
                    continue;
                }

                int whitespaces = 0;
                int lastEndOfLine = 0;
                while ((flags(pos + whitespaces) & WHITESPACE) != 0) {
                    int cpt2 = cpt(pos + whitespaces);
                    if (cpt2 == '\r' || cpt2 == '\n') {
                        lastEndOfLine = pos + whitespaces + 1;
                    }
                    whitespaces++;
                }
                // \s*[\r\n]+
                if (lastEndOfLine > 0) {
                    pos = lastEndOfLine;
                    addToken(pos);
                    continue;
                }
                // \s+(?!\S)
                if (whitespaces > 1 && cpt(pos + whitespaces) != OUT_OF_RANGE) {
                    pos += whitespaces - 1;
                    addToken(pos);
                    continue;
                }
                // \s+
                if (whitespaces > 0) {
                    pos += whitespaces;
                    addToken(pos);
                    continue;
                }
                // no match
                addToken(++pos);
            }
        }

        private static int asciiLower(int cp) {
            return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
        }
    }
}
