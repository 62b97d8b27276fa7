package dev.mica.graph.grammar;

import dev.mica.api.backend.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** A vocabulary given as pieces: by default the 256 single bytes, then whatever a test adds, then an end token. */
final class TestTokenizer implements Tokenizer {
    final List<byte[]> pieces = new ArrayList<>();
    private final Set<Integer> control;
    final int eos;

    TestTokenizer(List<byte[]> extra, Set<Integer> control) {
        for (int b = 0; b < 256; b++) pieces.add(new byte[] {(byte) b});
        pieces.addAll(extra);
        eos = pieces.size();
        pieces.add("</s>".getBytes(StandardCharsets.UTF_8));
        this.control = control;
    }

    static TestTokenizer bytes() {
        return new TestTokenizer(List.of(), Set.of());
    }

    static TestTokenizer with(String... extra) {
        List<byte[]> b = new ArrayList<>();
        for (String s : extra) b.add(s.getBytes(StandardCharsets.UTF_8));
        return new TestTokenizer(b, Set.of());
    }

    /** The id of the first token whose piece is {@code text}. */
    int id(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < pieces.size(); i++) if (Arrays.equals(pieces.get(i), b)) return i;
        throw new IllegalArgumentException(text);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 256; i < pieces.size(); i++) if (Arrays.equals(pieces.get(i), b)) return new int[] {i};
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
        return out;
    }

    @Override
    public byte[] piece(int token) {
        return pieces.get(token).clone();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token == eos;
    }

    @Override
    public boolean isControl(int token) {
        return token == eos || control.contains(token);
    }

    @Override
    public int vocabSize() {
        return pieces.size();
    }
}
