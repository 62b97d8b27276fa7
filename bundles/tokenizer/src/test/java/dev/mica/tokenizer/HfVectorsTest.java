package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.backend.Tokenizer;
import dev.mica.gguf.GgufFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tokenizer.json path on llama.cpp's test vectors: each byte-level BPE vocabulary is written
 * back as the tokenizer.json Hugging Face ships for it (the .out ids were made with those, by
 * llama.cpp's convert_hf_to_gguf_update.py), then tokenized through HfTokenizers.
 */
class HfVectorsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "qwen2", "gpt-2"})
    void everyVectorGivesTheReferenceIds(String name) throws Exception {
        Path file = TestFiles.vocab(name);
        GgufFile gguf = TestFiles.gguf(file);
        Path json = TokenizerJson.write(dir, "tokenizer.json", TokenizerJson.fromGguf(gguf, true));
        Tokenizer tokenizer = HfTokenizers.fromJson(json, null);

        Map<String, int[]> vectors = TestFiles.vectors(file);
        List<String> failures = new ArrayList<>();
        for (var v : vectors.entrySet()) {
            String text = ByteStrings.decodeUtf8(v.getKey());
            int[] ids = tokenizer.encode(text, false, false);
            if (!Arrays.equals(v.getValue(), ids)) {
                failures.add("'" + text + "': expected " + Arrays.toString(v.getValue()) + " got " + Arrays.toString(ids));
            }
            String decoded = tokenizer.decode(ids);
            if (!decoded.equals(new String(ByteStrings.bytes(v.getKey()), StandardCharsets.UTF_8))) {
                failures.add("'" + text + "' decodes to '" + decoded + "'");
            }
        }
        System.out.printf("tokenizer.json %s: %d/%d checks pass%n", name, 2 * vectors.size() - failures.size(), 2 * vectors.size());
        assertEquals(List.of(), failures, name);
    }
}
