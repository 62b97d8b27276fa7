package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.backend.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java tokenizer against libllama itself on a corpus built to break tokenizers (see
 * reference/make_corpus.py): ids with and without special tokens, the text decode gives, every
 * token's piece, the end-of-generation and control tokens. The expected data was written by
 * libllama (reference/tokenize_reference.c, the shipped natives) and is committed; the vocabularies
 * are not, and each case is skipped when its vocabulary is absent.
 */
class ReferenceCorpusTest {

    static Stream<Arguments> vocabularies() {
        return Stream.of(
                Arguments.of("ggml-vocab-llama-spm", "llama-spm.txt"),
                Arguments.of("ggml-vocab-llama-bpe", "llama-bpe.txt"),
                Arguments.of("ggml-vocab-qwen2", "qwen2.txt"),
                Arguments.of("ggml-vocab-gpt-2", "gpt-2.txt"),
                Arguments.of("stories260K", "stories260K.txt"),
                // the full Llama 2 vocabulary again, from a real model file
                Arguments.of("llama-2-tiny-random", "llama-spm.txt"),
                // llama.cpp's synthetic "test" vocabulary
                Arguments.of("tiny-qwen35", "tiny-qwen35.txt"));
    }

    private static Path source(String name) {
        return name.startsWith("ggml-vocab-")
                ? TestFiles.vocab(name.substring("ggml-vocab-".length()))
                : TestFiles.sharedModel(name + ".gguf");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void tokenizesAsLibllama(String name, String referenceFile) throws IOException {
        Tokenizer tokenizer = GgufTokenizers.fromGguf(TestFiles.gguf(source(name)));
        List<String> reference = resourceLines("reference/" + referenceFile);
        List<byte[]> inputs = corpus();

        assertEquals("vocab " + tokenizer.vocabSize(), reference.get(0));
        assertEquals(reference.get(1), "eog" + ranges(tokenizer.vocabSize(), tokenizer::isEndOfGeneration));
        assertEquals(reference.get(2), "control" + ranges(tokenizer.vocabSize(), tokenizer::isControl));
        assertEquals(reference.get(3), "pieces " + piecesHash(tokenizer));

        assertEquals(3 * inputs.size(), reference.size() - 4, "three reference lines per input");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String text = new String(inputs.get(i), StandardCharsets.UTF_8);
            int[] plain = tokenizer.encode(text, false, false);
            int[] special = tokenizer.encode(text, true, true);
            String decoded = Long.toHexString(fnv(tokenizer.decode(special).getBytes(StandardCharsets.UTF_8)));
            check(failures, i, text, "p", plain, reference.get(4 + 3 * i));
            check(failures, i, text, "s", special, reference.get(5 + 3 * i));
            if (!reference.get(6 + 3 * i).equals("d " + "0".repeat(16 - decoded.length()) + decoded)) {
                failures.add("#" + i + " decode " + printable(text) + ": " + printable(tokenizer.decode(special)));
            }
        }
        System.out.printf("%s: %d/%d corpus checks agree with libllama%n", name, 3 * inputs.size() - failures.size(),
                3 * inputs.size());
        assertEquals(List.of(), failures, name);
    }

    private static void check(List<String> failures, int i, String text, String kind, int[] ids, String expected) {
        String got = kind + Arrays.stream(ids).mapToObj(id -> " " + id).reduce("", String::concat);
        if (!got.equals(expected)) {
            failures.add("#" + i + " " + printable(text) + "\n  expected " + expected + "\n  got      " + got);
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder("'");
        s.codePoints().forEach(cp -> b.append(cp < 0x20 || cp == 0x7F ? String.format("\\x%02x", cp) : Character.toString(cp)));
        return b.append("'").toString();
    }

    /** The reference file's "a b-c" form of the tokens a predicate holds for. */
    private static String ranges(int n, IntPredicate predicate) {
        BitSet set = new BitSet(n);
        for (int i = 0; i < n; i++) {
            if (predicate.test(i)) {
                set.set(i);
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = set.nextSetBit(0); i >= 0; ) {
            int j = set.nextClearBit(i) - 1;
            b.append(' ').append(i);
            if (j > i) {
                b.append('-').append(j);
            }
            i = set.nextSetBit(j + 1);
        }
        return b.toString();
    }

    private static String piecesHash(Tokenizer tokenizer) {
        long h = FNV_OFFSET;
        for (int t = 0; t < tokenizer.vocabSize(); t++) {
            byte[] piece = tokenizer.piece(t);
            int n = piece.length;
            h = fnv(h, new byte[] {(byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
            h = fnv(h, piece);
        }
        String hex = Long.toHexString(h);
        return "0".repeat(16 - hex.length()) + hex;
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;

    private static long fnv(byte[] data) {
        return fnv(FNV_OFFSET, data);
    }

    private static long fnv(long h, byte[] data) {
        for (byte b : data) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    static List<byte[]> corpus() throws IOException {
        Path file = Files.createTempFile("corpus", ".inp");
        try (InputStream in = ReferenceCorpusTest.class.getResourceAsStream("reference/corpus.inp")) {
            Files.write(file, in.readAllBytes());
            return TestFiles.inputs(file);
        } finally {
            Files.delete(file);
        }
    }

    private static List<String> resourceLines(String name) {
        try (InputStream in = ReferenceCorpusTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
