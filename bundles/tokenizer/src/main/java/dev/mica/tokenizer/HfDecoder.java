package dev.mica.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tokenizer.json decoder: the ByteLevel, Replace, ByteFallback, Fuse, Strip and Metaspace
 * steps, alone or in a Sequence, each applied to the list of token texts as the tokenizers
 * library's decode_chain does. Also gives one token's raw bytes (its piece).
 */
final class HfDecoder {

    private sealed interface Step permits ByteLevelStep, ReplaceStep, ByteFallbackStep, FuseStep, StripStep, MetaspaceStep {}

    private record ByteLevelStep() implements Step {}

    private record ReplaceStep(String pattern, String content) implements Step {}

    private record ByteFallbackStep() implements Step {}

    private record FuseStep() implements Step {}

    private record StripStep(String content, int start, int stop) implements Step {}

    /** @param dropFirst the first token loses its replacement characters (prepend_scheme not "never") */
    private record MetaspaceStep(String replacement, boolean dropFirst) implements Step {}

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

    private final List<Step> steps;

    private HfDecoder(List<Step> steps) {
        this.steps = steps;
    }

    static HfDecoder of(JsonObject spec) {
        List<Step> steps = new ArrayList<>();
        if (spec != null) {
            add(spec, steps);
        }
        return new HfDecoder(steps);
    }

    private static void add(JsonObject spec, List<Step> steps) {
        switch (spec.type()) {
            case "Sequence" -> {
                for (Object o : spec.list("decoders")) {
                    add(JsonObject.of(o, spec.where() + ".decoders"), steps);
                }
            }
            case "ByteLevel" -> steps.add(new ByteLevelStep());
            case "Replace" -> {
                JsonObject pattern = JsonObject.of(spec.get("pattern"), spec.where() + ".pattern");
                if (!pattern.has("String")) {
                    throw new UnsupportedOperationException("tokenizer.json Replace decoder with a regular expression");
                }
                steps.add(new ReplaceStep(pattern.string("String"), spec.requireString("content")));
            }
            case "ByteFallback" -> steps.add(new ByteFallbackStep());
            case "Fuse" -> steps.add(new FuseStep());
            case "Strip" -> steps.add(new StripStep(spec.requireString("content"), (int) spec.integer("start", 0),
                    (int) spec.integer("stop", 0)));
            case "Metaspace" -> {
                String replacement = spec.string("replacement") == null ? "\u2581" : spec.string("replacement");
                String scheme = spec.string("prepend_scheme");
                boolean prepend = scheme == null ? spec.bool("add_prefix_space", true) : !scheme.equals("never");
                steps.add(new MetaspaceStep(replacement, prepend));
            }
            default -> throw new UnsupportedOperationException("tokenizer.json decoder '" + spec.type()
                    + "' is not supported (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence are)");
        }
    }

    /**
     * One token's bytes, as it would come out of the middle of a text: byte-level alphabet mapped
     * back to bytes, "&lt;0xXX&gt;" as its byte, replacements applied; nothing stripped.
     */
    byte[] piece(String token) {
        String text = token;
        for (Step step : steps) {
            switch (step) {
                case ByteLevelStep b -> {
                    return byteLevel(text);
                }
                case ByteFallbackStep b -> {
                    Matcher m = BYTE_TOKEN.matcher(text);
                    if (m.matches()) {
                        return new byte[] {(byte) Integer.parseInt(m.group(1), 16)};
                    }
                }
                case ReplaceStep r -> text = text.replace(r.pattern(), r.content());
                case MetaspaceStep m -> text = text.replace(m.replacement(), " ");
                case FuseStep f -> { }
                case StripStep s -> { }
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** decode_chain of every step, then the texts joined. */
    String decode(List<String> tokens) {
        List<String> texts = tokens;
        for (Step step : steps) {
            texts = switch (step) {
                case ByteLevelStep b -> {
                    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                    for (String t : texts) {
                        bytes.writeBytes(byteLevel(t));
                    }
                    yield List.of(bytes.toString(StandardCharsets.UTF_8));
                }
                case ReplaceStep r -> texts.stream().map(t -> t.replace(r.pattern(), r.content())).toList();
                case ByteFallbackStep b -> byteFallback(texts);
                case FuseStep f -> List.of(String.join("", texts));
                case StripStep s -> texts.stream().map(t -> strip(t, s)).toList();
                case MetaspaceStep m -> {
                    List<String> out = new ArrayList<>(texts.size());
                    for (int i = 0; i < texts.size(); i++) {
                        out.add(texts.get(i).replace(m.replacement(), i == 0 && m.dropFirst() ? "" : " "));
                    }
                    yield out;
                }
            };
        }
        return String.join("", texts);
    }

    /**
     * The ByteLevel decoder on one token: its characters as the bytes they stand for; a token with a
     * character outside GPT-2's alphabet stays as it is (its UTF-8).
     */
    private static byte[] byteLevel(String token) {
        byte[] out = new byte[token.length()];
        int n = 0;
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            int b = ByteLevel.byteOf(cp);
            if (b < 0) {
                return token.getBytes(StandardCharsets.UTF_8);
            }
            out[n++] = (byte) b;
            i += Character.charCount(cp);
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Runs of "&lt;0xXX&gt;" tokens become the text their bytes spell; invalid UTF-8 one U+FFFD per byte. */
    private static List<String> byteFallback(List<String> texts) {
        List<String> out = new ArrayList<>(texts.size());
        java.io.ByteArrayOutputStream run = new java.io.ByteArrayOutputStream();
        for (String t : texts) {
            Matcher m = BYTE_TOKEN.matcher(t);
            if (m.matches()) {
                run.write(Integer.parseInt(m.group(1), 16));
                continue;
            }
            flushBytes(run, out);
            out.add(t);
        }
        flushBytes(run, out);
        return out;
    }

    private static void flushBytes(java.io.ByteArrayOutputStream run, List<String> out) {
        if (run.size() == 0) {
            return;
        }
        byte[] bytes = run.toByteArray();
        run.reset();
        java.nio.charset.CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder();
        try {
            out.add(strict.decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            out.add("\uFFFD".repeat(bytes.length));
        }
    }

    private static String strip(String text, StripStep s) {
        int start = 0;
        int end = text.length();
        for (int i = 0; i < s.start() && text.startsWith(s.content(), start); i++) {
            start += s.content().length();
        }
        for (int i = 0; i < s.stop() && end - s.content().length() >= start && text.startsWith(s.content(), end - s.content().length()); i++) {
            end -= s.content().length();
        }
        return text.substring(start, end);
    }
}
