package dev.mica.tokenizer;

import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The normalizers and pre-tokenizers of Hugging Face tokenizers that the BPE tokenizers of LLMs
 * use (Llama 3, Qwen, GPT-2, Llama 2 / Mistral style): built from their tokenizer.json entries, with
 * the semantics of the tokenizers library. Anything else is refused at load with its name.
 */
final class HfPipeline {
    private HfPipeline() {}

    /** A span of text on its way to the model; {@code atStart}: it begins the input (offset 0). */
    record Piece(String text, boolean atStart) {}

    interface Normalizer {
        String normalize(String text);
    }

    interface PreTokenizer {
        /** The pieces one piece becomes, in order. */
        List<Piece> split(Piece piece);
    }

    // ------------------------------------------------------------------ normalizers

    static Normalizer normalizer(JsonObject spec) {
        if (spec == null) {
            return null;
        }
        return switch (spec.type()) {
            case "NFC" -> s -> java.text.Normalizer.normalize(s, Form.NFC);
            case "NFD" -> s -> java.text.Normalizer.normalize(s, Form.NFD);
            case "NFKC" -> s -> java.text.Normalizer.normalize(s, Form.NFKC);
            case "NFKD" -> s -> java.text.Normalizer.normalize(s, Form.NFKD);
            case "Lowercase" -> s -> s.toLowerCase(Locale.ROOT);
            case "Prepend" -> {
                String prefix = spec.requireString("prepend");
                yield s -> s.isEmpty() ? s : prefix + s;
            }
            case "Replace" -> {
                Pattern pattern = pattern(JsonObject.of(spec.get("pattern"), spec.where() + ".pattern"));
                String content = spec.requireString("content");
                yield s -> pattern.matcher(s).replaceAll(Matcher.quoteReplacement(content));
            }
            case "Strip" -> {
                boolean left = spec.bool("strip_left", true);
                boolean right = spec.bool("strip_right", true);
                yield s -> strip(s, left, right);
            }
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (Object o : spec.list("normalizers")) {
                    steps.add(normalizer(JsonObject.of(o, spec.where() + ".normalizers")));
                }
                yield s -> {
                    for (Normalizer n : steps) {
                        s = n.normalize(s);
                    }
                    return s;
                };
            }
            default -> throw new UnsupportedOperationException("tokenizer.json normalizer '" + spec.type()
                    + "' is not supported (NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence are)");
        };
    }

    /** Whitespace as Rust's char::is_whitespace (Unicode White_Space), the same set as llama.cpp's table. */
    static boolean isWhitespace(int cp) {
        return (UnicodeFlags.of(cp) & UnicodeFlags.WHITESPACE) != 0;
    }

    private static String strip(String s, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && isWhitespace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (right && end > start && isWhitespace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    /** A {"String": ...} or {"Regex": ...} pattern. */
    private static Pattern pattern(JsonObject spec) {
        if (spec.has("String")) {
            return Pattern.compile(Pattern.quote(spec.string("String")));
        }
        if (spec.has("Regex")) {
            return regex(spec.string("Regex"));
        }
        throw new IllegalArgumentException(spec.where() + ": expected a String or Regex pattern");
    }

    /**
     * A tokenizer.json regular expression (Oniguruma syntax) as a Java one: \s, \d, \w and case
     * folding over all of Unicode, as Oniguruma reads them.
     */
    private static Pattern regex(String regex) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new UnsupportedOperationException("tokenizer.json regular expression not supported by Java's regex: " + regex, e);
        }
    }

    // ------------------------------------------------------------------ pre-tokenizers

    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    static PreTokenizer preTokenizer(JsonObject spec) {
        if (spec == null) {
            return null;
        }
        return switch (spec.type()) {
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (Object o : spec.list("pretokenizers")) {
                    steps.add(preTokenizer(JsonObject.of(o, spec.where() + ".pretokenizers")));
                }
                yield piece -> {
                    List<Piece> pieces = List.of(piece);
                    for (PreTokenizer step : steps) {
                        List<Piece> next = new ArrayList<>();
                        for (Piece p : pieces) {
                            next.addAll(step.split(p));
                        }
                        pieces = next;
                    }
                    return pieces;
                };
            }
            case "Split" -> split(spec);
            case "ByteLevel" -> byteLevel(spec.bool("add_prefix_space", true), spec.bool("use_regex", true));
            case "Metaspace" -> metaspace(spec);
            case "Digits" -> {
                Behavior behavior = spec.bool("individual_digits", false) ? Behavior.ISOLATED : Behavior.CONTIGUOUS;
                yield piece -> splitOn(piece, asciiDigits(piece.text()), behavior);
            }
            default -> throw new UnsupportedOperationException("tokenizer.json pre-tokenizer '" + spec.type()
                    + "' is not supported (Split, ByteLevel, Metaspace, Digits, Sequence are)");
        };
    }

    private static PreTokenizer split(JsonObject spec) {
        Behavior behavior = switch (spec.requireString("behavior")) {
            case "Removed" -> Behavior.REMOVED;
            case "Isolated" -> Behavior.ISOLATED;
            case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> Behavior.CONTIGUOUS;
            default -> throw new IllegalArgumentException(spec.where() + ".behavior: unknown " + spec.string("behavior"));
        };
        boolean invert = spec.bool("invert", false);
        JsonObject pattern = JsonObject.of(spec.get("pattern"), spec.where() + ".pattern");
        // The expressions llama.cpp implements by hand: the same matcher, so both paths cut alike.
        if (pattern.has("Regex") && !invert) {
            for (Splitter splitter : Splitter.values()) {
                if (splitter.pattern().equals(pattern.string("Regex"))) {
                    return piece -> splitOn(piece, matches(piece.text(), splitter), behavior);
                }
            }
        }
        Pattern regex = pattern(pattern);
        return piece -> {
            List<int[]> found = matches(piece.text(), regex);
            return splitOn(piece, invert ? complement(found, piece.text().length()) : found, behavior);
        };
    }

    /**
     * The ByteLevel pre-tokenizer: an optional leading space, GPT-2's expression (when
     * {@code useRegex}), then each piece's UTF-8 bytes in GPT-2's byte alphabet.
     */
    static PreTokenizer byteLevel(boolean addPrefixSpace, boolean useRegex) {
        return piece -> {
            String text = addPrefixSpace && !piece.text().startsWith(" ") ? " " + piece.text() : piece.text();
            Piece spaced = new Piece(text, piece.atStart());
            List<Piece> pieces = useRegex ? splitOn(spaced, matches(text, Splitter.GPT2), Behavior.ISOLATED) : List.of(spaced);
            List<Piece> encoded = new ArrayList<>(pieces.size());
            StringBuilder b = new StringBuilder();
            for (Piece p : pieces) {
                b.setLength(0);
                for (byte x : p.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    b.appendCodePoint(ByteLevel.codepoint(x));
                }
                encoded.add(new Piece(b.toString(), p.atStart()));
            }
            return encoded;
        };
    }

    private static PreTokenizer metaspace(JsonObject spec) {
        String replacement = spec.string("replacement") == null ? "\u2581" : spec.string("replacement");
        String scheme = spec.string("prepend_scheme");
        if (scheme == null) {
            // files written before prepend_scheme existed say add_prefix_space
            scheme = spec.bool("add_prefix_space", true) ? "always" : "never";
        }
        String prepend = scheme;
        boolean split = spec.bool("split", true);
        int replacementChar = replacement.codePointAt(0);
        return piece -> {
            String text = piece.text().replace(" ", replacement);
            boolean add = switch (prepend) {
                case "always" -> true;
                case "first" -> piece.atStart();
                case "never" -> false;
                default -> throw new IllegalArgumentException("Metaspace prepend_scheme '" + prepend + "'");
            };
            if (add && !text.startsWith(replacement)) {
                text = replacement + text;
            }
            Piece replaced = new Piece(text, piece.atStart());
            if (!split) {
                return List.of(replaced);
            }
            List<int[]> found = new ArrayList<>();
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                int n = Character.charCount(cp);
                if (cp == replacementChar) {
                    found.add(new int[] {i, i + n});
                }
                i += n;
            }
            return splitOn(replaced, found, Behavior.MERGED_WITH_NEXT);
        };
    }

    private static List<int[]> asciiDigits(String text) {
        List<int[]> found = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                found.add(new int[] {i, i + 1});
            }
        }
        return found;
    }

    /** The words of a hand-written splitter, as matches (they cover the whole text). */
    private static List<int[]> matches(String text, Splitter splitter) {
        IntList cpts = new IntList(text.length());
        text.codePoints().forEach(cpts::add);
        IntList lengths = splitter.lengths(cpts);
        List<int[]> found = new ArrayList<>(lengths.size());
        int start = 0;
        for (int w = 0; w < lengths.size(); w++) {
            int end = text.offsetByCodePoints(start, lengths.get(w));
            found.add(new int[] {start, end});
            start = end;
        }
        return found;
    }

    private static List<int[]> matches(String text, Pattern regex) {
        List<int[]> found = new ArrayList<>();
        Matcher m = regex.matcher(text);
        while (m.find()) {
            found.add(new int[] {m.start(), m.end()});
        }
        return found;
    }

    private static List<int[]> complement(List<int[]> matches, int length) {
        List<int[]> gaps = new ArrayList<>();
        int prev = 0;
        for (int[] m : matches) {
            if (m[0] > prev) {
                gaps.add(new int[] {prev, m[0]});
            }
            prev = m[1];
        }
        if (prev < length) {
            gaps.add(new int[] {prev, length});
        }
        return gaps;
    }

    /**
     * NormalizedString::split: the text cut into matches and the gaps between them, then joined
     * as the behavior says; empty pieces are dropped.
     */
    static List<Piece> splitOn(Piece piece, List<int[]> matches, Behavior behavior) {
        String text = piece.text();
        // (start, end, isMatch) covering the text
        List<int[]> spans = new ArrayList<>();
        int prev = 0;
        for (int[] m : matches) {
            if (m[0] > prev) {
                spans.add(new int[] {prev, m[0], 0});
            }
            spans.add(new int[] {m[0], m[1], 1});
            prev = m[1];
        }
        if (prev < text.length()) {
            spans.add(new int[] {prev, text.length(), 0});
        }
        // The folds of NormalizedString::split, spelled as there.
        List<int[]> joined = new ArrayList<>();
        boolean previousMatch = false;
        switch (behavior) {
            case REMOVED -> spans.stream().filter(span -> span[2] == 0).forEach(joined::add);
            case ISOLATED -> joined.addAll(spans);
            case CONTIGUOUS -> {
                for (int[] span : spans) {
                    boolean match = span[2] == 1;
                    if (match == previousMatch && !joined.isEmpty()) {
                        joined.getLast()[1] = span[1];
                    } else {
                        joined.add(span.clone());
                    }
                    previousMatch = match;
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                for (int[] span : spans) {
                    boolean match = span[2] == 1;
                    if (match && !previousMatch && !joined.isEmpty()) {
                        joined.getLast()[1] = span[1];
                    } else {
                        joined.add(span.clone());
                    }
                    previousMatch = match;
                }
            }
            case MERGED_WITH_NEXT -> {
                // folded from the end: a delimiter joins the piece after it
                for (int[] span : spans.reversed()) {
                    boolean match = span[2] == 1;
                    if (match && !previousMatch && !joined.isEmpty()) {
                        joined.getLast()[0] = span[0];
                    } else {
                        joined.add(span.clone());
                    }
                    previousMatch = match;
                }
                java.util.Collections.reverse(joined);
            }
        }
        List<Piece> out = new ArrayList<>(joined.size());
        for (int[] s : joined) {
            if (s[1] > s[0]) {
                out.add(new Piece(text.substring(s[0], s[1]), piece.atStart() && s[0] == 0));
            }
        }
        return out;
    }
}
