package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mica.gguf.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Files the tests read when they are present: llama.cpp's vocabularies and the shared models. */
final class TestFiles {
    private TestFiles() {}

    /**
     * A llama.cpp test vocabulary ({@code ggml-vocab-<name>.gguf}) in the folder the build's
     * fetch-vocab.sh fills; the calling test is skipped, saying why, when it is not there.
     */
    static Path vocab(String name) {
        String dir = System.getProperty("mica.test.vocab");
        Path file = dir == null ? null : Path.of(dir, "ggml-vocab-" + name + ".gguf");
        assumeTrue(file != null && Files.isRegularFile(file), () -> "skipped: llama.cpp's vocabulary ggml-vocab-" + name
                + ".gguf is not in " + dir + " (the build fetches it with bundles/tokenizer/fetch-vocab.sh;"
                + " run the module's build, or set -Dmica.test.vocab)");
        return file;
    }

    /** A model from ../shared/models; the calling test is skipped, saying why, when it is absent. */
    static Path sharedModel(String file) {
        String dir = System.getProperty("mica.test.models");
        Path path = dir == null ? null : Path.of(dir, file);
        assumeTrue(path != null && Files.isRegularFile(path), () -> "skipped: " + file + " is not in " + dir);
        return path;
    }

    static GgufFile gguf(Path path) {
        try {
            return GgufFile.read(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final byte[] SEPARATOR = "\n__ggml_vocab_test__\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Inputs of a {@code .inp} file: raw bytes between separator lines, as test-tokenizer-0 reads them. */
    static List<byte[]> inputs(Path inp) throws IOException {
        byte[] raw = Files.readAllBytes(inp);
        List<byte[]> inputs = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length) {
            int next = indexOf(raw, SEPARATOR, pos);
            if (next < 0) {
                inputs.add(Arrays.copyOfRange(raw, pos, raw.length));
                break;
            }
            inputs.add(Arrays.copyOfRange(raw, pos, next));
            pos = next + SEPARATOR.length;
        }
        return inputs;
    }

    /** Lines of token ids (a {@code .out} file, or a reference file), each parsed as test-tokenizer-0 does. */
    static List<int[]> idLines(List<String> lines) {
        List<int[]> out = new ArrayList<>();
        for (String line : lines) {
            String s = line.strip();
            out.add(s.isEmpty() ? new int[0] : Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray());
        }
        return out;
    }

    /** test-tokenizer-0's map: a repeated input keeps its last expected ids. */
    static Map<String, int[]> vectors(Path vocabFile) throws IOException {
        List<byte[]> inputs = inputs(Path.of(vocabFile + ".inp"));
        List<int[]> outputs = idLines(Files.readAllLines(Path.of(vocabFile + ".out")));
        if (inputs.size() != outputs.size()) {
            throw new IllegalStateException(vocabFile + ": " + inputs.size() + " inputs but " + outputs.size() + " outputs");
        }
        Map<String, int[]> vectors = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            vectors.put(ByteStrings.of(inputs.get(i)), outputs.get(i));
        }
        return vectors;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
