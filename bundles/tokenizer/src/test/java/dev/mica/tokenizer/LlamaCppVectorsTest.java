package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0.cpp with models/ggml-vocab-*.gguf,
 * .inp and .out): every input must give exactly llama.cpp's ids. As there, without BOS/EOS and
 * without parsing special tokens.
 */
class LlamaCppVectorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2"})
    void everyVectorGivesLlamaCppsIds(String name) throws Exception {
        Path file = TestFiles.vocab(name);
        LlamaTokenizer tokenizer = (LlamaTokenizer) GgufTokenizers.fromGguf(TestFiles.gguf(file));
        Map<String, int[]> vectors = TestFiles.vectors(file);
        List<String> failures = new ArrayList<>();
        for (var v : vectors.entrySet()) {
            int[] ids = tokenizer.encode(ByteStrings.bytes(v.getKey()), false, false);
            if (!Arrays.equals(v.getValue(), ids)) {
                failures.add("'" + ByteStrings.decodeUtf8(v.getKey()) + "': expected " + Arrays.toString(v.getValue())
                        + " got " + Arrays.toString(ids));
            }
        }
        System.out.printf("%s: %d/%d of llama.cpp's vectors pass%n", name, vectors.size() - failures.size(), vectors.size());
        assertTrue(vectors.size() >= 40, "the vector file has its tests");
        assertEquals(List.of(), failures, name);
    }
}
