package dev.mica.tokenizer;

import dev.mica.api.backend.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A GGUF vocabulary's tokenizer, behaving as libllama's (llama_tokenize, llama_token_to_piece with
 * special = true, llama_detokenize) for SentencePiece, byte-level BPE and llama.cpp's test
 * vocabularies. Thread-safe: all state is immutable, each call works in its own buffers.
 */
final class LlamaTokenizer implements Tokenizer {
    private final Vocabulary vocab;

    LlamaTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return encode(text.getBytes(StandardCharsets.UTF_8), addSpecial, parseSpecial);
    }

    /** llama_vocab::impl::tokenize over raw bytes (which need not be valid UTF-8). */
    int[] encode(byte[] text, boolean addSpecial, boolean parseSpecial) {
        String raw = ByteStrings.of(text);
        List<Fragment> fragments = new ArrayList<>();
        if (!raw.isEmpty()) {
            fragments.add(Fragment.text(0, raw.length()));
            fragments = partition(raw, fragments, parseSpecial);
        }
        IntList out = new IntList(text.length / 3 + 4);
        switch (vocab.type) {
            case SPM -> encodeSentencePiece(raw, fragments, addSpecial, out);
            case BPE -> encodeBpe(raw, fragments, addSpecial, out);
            case TEST -> encodeTest(raw, fragments, out);
        }
        return out.toArray();
    }

    /** A piece of the input: either raw text {@code [offset, offset + length)}, or a special token. */
    private record Fragment(int token, int offset, int length) {
        static Fragment text(int offset, int length) {
            return new Fragment(Vocabulary.NULL, offset, length);
        }

        boolean isText() {
            return token == Vocabulary.NULL;
        }
    }

    /**
     * tokenizer_st_partition: cut the text at every occurrence of every special token, the longest
     * tokens first. Control and unknown tokens count only when {@code parseSpecial}; user-defined
     * ones always do. LSTRIP/RSTRIP tokens swallow the ASCII whitespace beside them.
     */
    private List<Fragment> partition(String raw, List<Fragment> fragments, boolean parseSpecial) {
        for (int special : vocab.specialTokens) {
            int attr = vocab.attrs[special];
            if (!parseSpecial && (attr & (Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_UNKNOWN)) != 0) {
                continue;
            }
            String text = vocab.texts[special];
            List<Fragment> next = null;
            for (int f = 0; f < fragments.size(); f++) {
                Fragment fragment = fragments.get(f);
                int match = fragment.isText() ? raw.indexOf(text, fragment.offset, fragment.offset + fragment.length) : -1;
                if (match < 0) {
                    if (next != null) {
                        next.add(fragment);
                    }
                    continue;
                }
                if (next == null) {
                    next = new ArrayList<>(fragments.subList(0, f));
                }
                int offset = fragment.offset;
                int end = fragment.offset + fragment.length;
                while (match >= 0) {
                    int leftLength = match - offset;
                    if ((attr & Vocabulary.ATTR_LSTRIP) != 0) {
                        while (leftLength > 0 && isSpace(raw.charAt(offset + leftLength - 1))) {
                            leftLength--;
                        }
                    }
                    if (leftLength > 0) {
                        next.add(Fragment.text(offset, leftLength));
                    }
                    next.add(new Fragment(special, 0, 0));
                    offset = match + text.length();
                    if ((attr & Vocabulary.ATTR_RSTRIP) != 0) {
                        while (offset < end && isSpace(raw.charAt(offset))) {
                            offset++;
                        }
                    }
                    match = offset < end ? raw.indexOf(text, offset, end) : -1;
                }
                if (offset < end) {
                    next.add(Fragment.text(offset, end - offset));
                }
            }
            if (next != null) {
                fragments = next;
            }
        }
        return fragments;
    }

    /** C's isspace in the "C" locale. */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private void encodeSentencePiece(String raw, List<Fragment> fragments, boolean addSpecial, IntList out) {
        // As SentencePiece itself: a leading space before the text and after each special token.
        boolean previousSpecial = true;
        if (addSpecial && vocab.addBos) {
            out.add(require(vocab.bos, "BOS"));
        }
        SentencePiece session = new SentencePiece(vocab);
        for (Fragment fragment : fragments) {
            if (fragment.isText()) {
                String text = raw.substring(fragment.offset, fragment.offset + fragment.length);
                if (vocab.addSpacePrefix && previousSpecial) {
                    text = " " + text;
                }
                session.tokenize(escapeWhitespace(text), out);
                previousSpecial = false;
            } else {
                out.add(fragment.token);
                previousSpecial = true;
            }
        }
        if (addSpecial && vocab.addEos) {
            out.add(require(vocab.eos, "EOS"));
        }
    }

    /** llama_escape_whitespace: every space byte becomes "▁" (U+2581). */
    private static byte[] escapeWhitespace(String byteString) {
        byte[] bytes = ByteStrings.bytes(byteString);
        ByteBuilder out = new ByteBuilder(bytes.length + 8);
        for (byte b : bytes) {
            if (b == ' ') {
                out.append(0xE2);
                out.append(0x96);
                out.append(0x81);
            } else {
                out.append(b);
            }
        }
        return out.toArray();
    }

    private void encodeBpe(String raw, List<Fragment> fragments, boolean addSpecial, IntList out) {
        if (addSpecial && vocab.addBos) {
            out.add(require(vocab.bos, "BOS"));
        }
        BpeMerges.Word word = vocab.merges.newWord();
        for (Fragment fragment : fragments) {
            if (!fragment.isText()) {
                out.add(fragment.token);
                continue;
            }
            byte[] text = ByteStrings.bytes(raw.substring(fragment.offset, fragment.offset + fragment.length));
            for (String w : vocab.splitter.split(text, 0, text.length, true)) {
                tokenizeWord(w, word, out);
            }
        }
        if (addSpecial && vocab.addEos) {
            out.add(require(vocab.eos, "EOS"));
        }
    }

    /** llm_tokenizer_bpe_session::tokenize for one byte-level encoded word. */
    private void tokenizeWord(String w, BpeMerges.Word word, IntList out) {
        if (vocab.ignoreMerges) {
            int whole = vocab.token(w);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        word.clear();
        for (int offset = 0; offset < w.length(); ) {
            int n = Math.min(Utf8.sequenceLength((byte) w.charAt(offset)), w.length() - offset);
            word.add(vocab.merges.part(w.substring(offset, offset + n)), n);
            offset += n;
        }
        word.merge();
        int offset = 0;
        for (int s = word.first(); s >= 0; s = word.next(s)) {
            int n = word.length(s);
            int token = vocab.merges.token(word.part(s));
            if (token >= 0) {
                out.add(token);
            } else {
                // llama.cpp looks each byte up as a one-byte text and drops the bytes it cannot find
                for (int i = offset; i < offset + n; i++) {
                    int b = vocab.token(String.valueOf(w.charAt(i)));
                    if (b >= 0) {
                        out.add(b);
                    }
                }
            }
            offset += n;
        }
    }

    /** llama.cpp's "test" vocabulary: a hash of every 5 bytes picks the token. */
    private void encodeTest(String raw, List<Fragment> fragments, IntList out) {
        int n = vocab.size();
        for (Fragment fragment : fragments) {
            if (!fragment.isText()) {
                out.add(fragment.token);
                continue;
            }
            int end = fragment.offset + fragment.length;
            for (int pos = fragment.offset; pos < end; pos += 5) {
                long hash = 0;
                for (int i = pos; i < Math.min(pos + 5, end); i++) {
                    hash = hash * 31 + raw.charAt(i);
                }
                out.add((int) Long.remainderUnsigned(hash, n));
            }
        }
    }

    private static int require(int token, String what) {
        if (token == Vocabulary.NULL) {
            // libllama asserts (and the process ends) here
            throw new IllegalArgumentException("the vocabulary asks for a " + what + " token but defines none: tokenize without special tokens");
        }
        return token;
    }

    @Override
    public byte[] piece(int token) {
        checkToken(token);
        return vocab.pieces[token].clone();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token >= 0 && token < vocab.size() && vocab.endOfGeneration.get(token);
    }

    @Override
    public boolean isControl(int token) {
        return token >= 0 && token < vocab.size() && (vocab.attrs[token] & Vocabulary.ATTR_CONTROL) != 0;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    /**
     * llama_detokenize(remove_special = false, unparse_special = true): the pieces, less the space
     * SentencePiece put before the first one, with the spaces before punctuation removed where the
     * vocabulary asks for it (clean_up_tokenization_spaces).
     */
    @Override
    public String decode(int[] tokens) {
        ByteBuilder text = new ByteBuilder(tokens.length * 4);
        boolean removeSpace = vocab.addSpacePrefix;
        for (int token : tokens) {
            checkToken(token);
            byte[] piece = vocab.pieces[token];
            int from = removeSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            text.append(piece, from, piece.length - from);
            removeSpace = false;
        }
        byte[] bytes = text.toArray();
        if (vocab.cleanSpaces) {
            bytes = cleanSpaces(bytes);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The three passes of llama_vocab::impl::detokenize's clean_spaces, byte for byte. */
    static byte[] cleanSpaces(byte[] text) {
        int total = text.length;
        // " ?", " !", " .", " ,": drop the space
        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            text[total++] = x;
        }
        // " ' ": drop both spaces
        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++) {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }
        // " 's", " 'm", " 're", " 've": drop the space
        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++) {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
                byte x1 = text[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < total3) {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) {
                        total--;
                    }
                }
            }
            text[total++] = x;
        }
        return java.util.Arrays.copyOf(text, total);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocab.size()) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + vocab.size() + ")");
        }
    }
}
