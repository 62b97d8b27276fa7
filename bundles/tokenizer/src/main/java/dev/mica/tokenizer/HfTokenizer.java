package dev.mica.tokenizer;

import dev.mica.api.backend.Tokenizer;
import dev.mica.tokenizer.HfPipeline.Piece;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer.json BPE tokenizer, as the tokenizers library runs one: added tokens
 * cut out first, then the normalizer, the pre-tokenizer, the BPE model, and the post-processor's
 * special tokens. Thread-safe: immutable, each call works in its own buffers.
 */
final class HfTokenizer implements Tokenizer {

    /** An entry of tokenizer.json's added_tokens. */
    record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                      boolean special) {}

    /** The BPE model's options (tokenizer.json "model"). */
    record BpeModel(Map<String, Integer> vocab, BpeMerges merges, int unk, boolean fuseUnk, boolean byteFallback,
                    boolean ignoreMerges, String continuingSubwordPrefix, String endOfWordSuffix) {}

    private final BpeModel model;
    private final HfPipeline.Normalizer normalizer;
    private final HfPipeline.PreTokenizer preTokenizer;
    private final HfDecoder decoder;
    private final int[] prefix;
    private final int[] suffix;
    private final int size;
    /** Each token's text: the model's vocabulary, or the added token's content. */
    private final String[] texts;
    private final byte[][] pieces;
    private final BitSet control;
    private final BitSet endOfGeneration;
    private final boolean cleanUpSpaces;
    private final int[] byteTokens = new int[256];

    // Added tokens matched on the raw text (normalized = false) and on the normalized text, with
    // and without the special ones.
    private final AddedTokens rawAll;
    private final AddedTokens rawPlain;
    private final AddedTokens normalizedAll;
    private final AddedTokens normalizedPlain;

    HfTokenizer(BpeModel model, List<AddedToken> added, HfPipeline.Normalizer normalizer,
                HfPipeline.PreTokenizer preTokenizer, HfDecoder decoder, int[] prefix, int[] suffix,
                BitSet endOfGeneration, boolean cleanUpSpaces) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        this.prefix = prefix;
        this.suffix = suffix;
        this.cleanUpSpaces = cleanUpSpaces;
        int max = -1;
        for (int id : model.vocab().values()) {
            max = Math.max(max, id);
        }
        for (AddedToken t : added) {
            max = Math.max(max, t.id());
        }
        this.size = max + 1;
        this.texts = new String[size];
        model.vocab().forEach((text, id) -> texts[id] = text);
        this.control = new BitSet(size);
        for (AddedToken t : added) {
            texts[t.id()] = t.content();
            if (t.special()) {
                control.set(t.id());
            }
        }
        this.endOfGeneration = endOfGeneration;
        this.pieces = new byte[size][];
        for (int id = 0; id < size; id++) {
            pieces[id] = texts[id] == null ? new byte[0] : decoder.piece(texts[id]);
        }
        for (int b = 0; b < 256; b++) {
            Integer id = model.vocab().get(String.format("<0x%02X>", b));
            byteTokens[b] = id == null ? -1 : id;
        }
        List<AddedToken> raw = added.stream().filter(t -> !t.normalized()).toList();
        List<AddedToken> normalized = added.stream().filter(AddedToken::normalized).toList();
        this.rawAll = new AddedTokens(raw, null);
        this.rawPlain = new AddedTokens(raw.stream().filter(t -> !t.special()).toList(), null);
        this.normalizedAll = new AddedTokens(normalized, normalizer);
        this.normalizedPlain = new AddedTokens(normalized.stream().filter(t -> !t.special()).toList(), normalizer);
    }

    /** A piece of input: text still to tokenize ({@code token} -1), or an added token. */
    private record Segment(String text, int token, boolean atStart) {}

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial) {
            for (int id : prefix) {
                out.add(id);
            }
        }
        List<Segment> segments = (parseSpecial ? rawAll : rawPlain).split(new Segment(text, -1, true));
        BpeMerges.Word word = model.merges().newWord();
        for (Segment segment : segments) {
            if (segment.token() >= 0) {
                out.add(segment.token());
                continue;
            }
            String normalizedText = normalizer == null ? segment.text() : normalizer.normalize(segment.text());
            Segment normalizedSegment = new Segment(normalizedText, -1, segment.atStart());
            for (Segment s : (parseSpecial ? normalizedAll : normalizedPlain).split(normalizedSegment)) {
                if (s.token() >= 0) {
                    out.add(s.token());
                    continue;
                }
                List<Piece> pieces = preTokenizer == null ? List.of(new Piece(s.text(), s.atStart()))
                        : preTokenizer.split(new Piece(s.text(), s.atStart()));
                for (Piece piece : pieces) {
                    tokenizeWord(piece.text(), word, out);
                }
            }
        }
        if (addSpecial) {
            for (int id : suffix) {
                out.add(id);
            }
        }
        return out.toArray();
    }

    /** The BPE model on one word (BPE::merge_word, BPE::tokenize_with_cache). */
    private void tokenizeWord(String text, BpeMerges.Word word, IntList out) {
        if (text.isEmpty()) {
            return;
        }
        if (model.ignoreMerges()) {
            Integer whole = model.vocab().get(text);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        word.clear();
        int unk = -1;
        int unkLength = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            String s = text.substring(i, next);
            if (i > 0 && model.continuingSubwordPrefix() != null) {
                s = model.continuingSubwordPrefix() + s;
            }
            if (next == text.length() && model.endOfWordSuffix() != null) {
                s = s + model.endOfWordSuffix();
            }
            i = next;
            Integer id = model.vocab().get(s);
            if (id != null) {
                if (unk >= 0) {
                    word.add(unk, unkLength);
                    unk = -1;
                }
                word.add(id, s.length());
                continue;
            }
            if (model.byteFallback() && addBytes(s, word, unk, unkLength)) {
                unk = -1;
                continue;
            }
            if (model.unk() >= 0) {
                if (unk >= 0 && model.fuseUnk()) {
                    unkLength += s.length();
                } else {
                    if (unk >= 0) {
                        word.add(unk, unkLength);
                    }
                    unk = model.unk();
                    unkLength = s.length();
                }
            }
            // without an unknown token, the tokenizers library drops the character
        }
        if (unk >= 0) {
            word.add(unk, unkLength);
        }
        word.merge();
        for (int symbol = word.first(); symbol >= 0; symbol = word.next(symbol)) {
            out.add(word.part(symbol));
        }
    }

    /** Byte fallback: the {@code <0xXX>} tokens of every byte, if the vocabulary has them all. */
    private boolean addBytes(String s, BpeMerges.Word word, int pendingUnk, int pendingUnkLength) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteTokens[b & 0xFF] < 0) {
                return false;
            }
        }
        if (pendingUnk >= 0) {
            word.add(pendingUnk, pendingUnkLength);
        }
        for (byte b : bytes) {
            word.add(byteTokens[b & 0xFF], 1);
        }
        return true;
    }

    @Override
    public byte[] piece(int token) {
        checkToken(token);
        return pieces[token].clone();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token >= 0 && token < size && endOfGeneration.get(token);
    }

    @Override
    public boolean isControl(int token) {
        return token >= 0 && token < size && control.get(token);
    }

    @Override
    public int vocabSize() {
        return size;
    }

    /** The decoder chain over the tokens' texts, then clean_up_tokenization_spaces if configured. */
    @Override
    public String decode(int[] tokens) {
        List<String> strings = new ArrayList<>(tokens.length);
        for (int t : tokens) {
            checkToken(t);
            strings.add(texts[t] == null ? "" : texts[t]);
        }
        String text = decoder.decode(strings);
        return cleanUpSpaces ? cleanUp(text) : text;
    }

    /** transformers' clean_up_tokenization. */
    static String cleanUp(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    private void checkToken(int token) {
        if (token < 0 || token >= size) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + size + ")");
        }
    }

    /**
     * The added tokens of one kind and how they cut text (AddedVocabulary::find_matches): the
     * leftmost match, the longest there; single-word tokens only between non-word characters;
     * lstrip/rstrip tokens also take the whitespace beside them.
     */
    private static final class AddedTokens {
        private final Map<Character, List<AddedToken>> byFirstChar = new HashMap<>();
        private final Map<AddedToken, String> matchText = new HashMap<>();

        AddedTokens(List<AddedToken> tokens, HfPipeline.Normalizer normalizer) {
            for (AddedToken t : tokens) {
                // normalized tokens are looked for as the normalizer writes them
                String text = normalizer == null ? t.content() : normalizer.normalize(t.content());
                if (text.isEmpty()) {
                    continue;
                }
                matchText.put(t, text);
                byFirstChar.computeIfAbsent(text.charAt(0), c -> new ArrayList<>()).add(t);
            }
            Comparator<AddedToken> longestFirst = Comparator.comparingInt((AddedToken t) -> matchText.get(t).length()).reversed();
            byFirstChar.values().forEach(list -> list.sort(longestFirst));
        }

        List<Segment> split(Segment segment) {
            String text = segment.text();
            if (byFirstChar.isEmpty() || text.isEmpty()) {
                return List.of(segment);
            }
            List<Segment> out = new ArrayList<>();
            int startOffset = 0;
            int i = 0;
            while (i < text.length()) {
                AddedToken found = longestAt(text, i);
                if (found == null) {
                    i++;
                    continue;
                }
                int start = i;
                int stop = i + matchText.get(found).length();
                i = stop;
                if (found.singleWord()) {
                    boolean startSpace = start == 0 || !isWordChar(text.codePointBefore(start));
                    boolean stopSpace = stop == text.length() || !isWordChar(text.codePointAt(stop));
                    if (!startSpace || !stopSpace) {
                        continue;
                    }
                }
                if (found.lstrip()) {
                    int s = start;
                    while (s > 0 && HfPipeline.isWhitespace(text.codePointBefore(s))) {
                        s -= Character.charCount(text.codePointBefore(s));
                    }
                    start = Math.max(s, startOffset);
                }
                if (found.rstrip()) {
                    while (stop < text.length() && HfPipeline.isWhitespace(text.codePointAt(stop))) {
                        stop += Character.charCount(text.codePointAt(stop));
                    }
                    i = Math.max(i, stop);
                }
                if (startOffset < start) {
                    out.add(new Segment(text.substring(startOffset, start), -1, segment.atStart() && startOffset == 0));
                }
                out.add(new Segment(text.substring(start, stop), found.id(), false));
                startOffset = stop;
            }
            if (startOffset < text.length()) {
                out.add(new Segment(text.substring(startOffset), -1, segment.atStart() && startOffset == 0));
            }
            return out;
        }

        private AddedToken longestAt(String text, int i) {
            List<AddedToken> candidates = byFirstChar.get(text.charAt(i));
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (text.startsWith(matchText.get(t), i)) {
                        return t;
                    }
                }
            }
            return null;
        }

        private static boolean isWordChar(int cp) {
            return Character.isLetterOrDigit(cp) || cp == '_';
        }
    }
}
