package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.backend.Tokenizer;
import dev.mica.gguf.GgufFile;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tokenizer.json path against libllama on the differential corpus (reference/*.txt): the
 * GGUF vocabulary written back as tokenizer.json must tokenize like libllama, with and without
 * special tokens, on the hand-written matchers and on java.util.regex alike.
 *
 * <p>One difference is by design: llama.cpp makes tokens control tokens by their text (Qwen2's
 * ordinary "&lt;/s&gt;" becomes an end-of-generation control token), the tokenizers library does
 * not, so with special tokens parsed the two cut such text differently. Those inputs are left out
 * of the comparison with special tokens, and counted.
 */
class HfCorpusTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, java.util.regex: {1}")
    @CsvSource({"llama-bpe, false", "qwen2, false", "gpt-2, false", "llama-bpe, true", "qwen2, true"})
    void tokenizesAsLibllama(String name, boolean javaRegex) throws Exception {
        GgufFile gguf = TestFiles.gguf(TestFiles.vocab(name));
        Map<String, Object> json = TokenizerJson.fromGguf(gguf, false);
        if (javaRegex) {
            // The same expression in a group: no longer the hand-written matcher's, so java.util.regex runs it.
            @SuppressWarnings("unchecked")
            Map<String, Object> split = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) json.get("pre_tokenizer"))
                    .get("pretokenizers")).get(0);
            @SuppressWarnings("unchecked")
            Map<String, Object> pattern = (Map<String, Object>) split.get("pattern");
            pattern.put("Regex", "(?:" + pattern.get("Regex") + ")");
        }
        Tokenizer tokenizer = HfTokenizers.fromJson(TokenizerJson.write(dir, "tokenizer.json", json), null);
        List<String> reference;
        try (InputStream in = getClass().getResourceAsStream("reference/" + name + ".txt")) {
            reference = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        List<String> controlByName = controlOnlyInLlamaCpp(gguf);
        List<byte[]> inputs = ReferenceCorpusTest.corpus();
        List<String> failures = new ArrayList<>();
        int checks = 0;
        int leftOut = 0;
        for (int i = 0; i < inputs.size(); i++) {
            String text = new String(inputs.get(i), StandardCharsets.UTF_8);
            compare(failures, i, "p", tokenizer.encode(text, false, false), reference.get(4 + 3 * i));
            checks++;
            if (controlByName.stream().anyMatch(text::contains)) {
                leftOut++;
                continue;
            }
            compare(failures, i, "s", tokenizer.encode(text, true, true), reference.get(5 + 3 * i));
            checks++;
        }
        System.out.printf("tokenizer.json %s%s: %d/%d corpus checks agree with libllama (%d left out: %s)%n", name,
                javaRegex ? " (java.util.regex)" : "", checks - failures.size(), checks, leftOut, controlByName);
        assertEquals(List.of(), failures);
    }

    /** Texts of tokens the GGUF lists as ordinary but llama.cpp makes control tokens by their text. */
    private static List<String> controlOnlyInLlamaCpp(GgufFile gguf) {
        Tokenizer llama = GgufTokenizers.fromGguf(gguf);
        List<Object> types = gguf.array("tokenizer.ggml.token_type");
        List<Object> texts = gguf.array("tokenizer.ggml.tokens");
        List<String> result = new ArrayList<>();
        for (int id = 0; id < texts.size(); id++) {
            if (llama.isControl(id) && ((Number) types.get(id)).intValue() != 3) {
                result.add((String) texts.get(id));
            }
        }
        return result;
    }

    private static void compare(List<String> failures, int i, String kind, int[] ids, String expected) {
        String got = kind + Arrays.stream(ids).mapToObj(id -> " " + id).reduce("", String::concat);
        if (!got.equals(expected)) {
            failures.add("#" + i + "\n  expected " + expected + "\n  got      " + got);
        }
    }
}
