package dev.mica.tokenizer;

import static dev.mica.tokenizer.SyntheticVocab.CONTROL;
import static dev.mica.tokenizer.SyntheticVocab.USER_DEFINED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Tokenizer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Byte-level BPE ("gpt2") vocabularies, on a small vocabulary whose every merge is known. */
class BpeVocabTest {

    /** h e l o Ġ w and merges; ranks decide, not lengths. */
    private static SyntheticVocab vocab(String pre) {
        SyntheticVocab v = new SyntheticVocab("gpt2");
        for (String t : new String[] {"h", "e", "l", "o", "Ġ", "w", "!", "1", "2", "3"}) {
            v.add(t);
        }
        for (String t : new String[] {"ll", "he", "hell", "hello", "Ġw", "lo", "hel", "12"}) {
            v.add(t);
        }
        v.add("<|endoftext|>", CONTROL, 0); // 18: BOS and EOS
        v.add("<tool>", USER_DEFINED, 0);
        v.merge("l l").merge("h e").merge("he ll").merge("hell o").merge("Ġ w").merge("l o").merge("1 2");
        return v.metadata(w -> w.putString("tokenizer.ggml.pre", pre)
                .putUInt32("tokenizer.ggml.bos_token_id", 18).putUInt32("tokenizer.ggml.eos_token_id", 18));
    }

    private static int id(Tokenizer t, String text) {
        for (int i = 0; i < t.vocabSize(); i++) {
            if (new String(t.piece(i), StandardCharsets.UTF_8).equals(text)) {
                return i;
            }
        }
        throw new AssertionError(text);
    }

    @Test
    void mergesByRank() {
        Tokenizer t = vocab("qwen2").tokenizer();
        // "l l" (rank 0) before "l o" (rank 5): h e l l o -> he ll o -> hell o -> hello
        assertArrayEquals(new int[] {id(t, "hello")}, t.encode("hello", false, false));
        // "lo" would need "l o" before "l l": ll + o stay apart
        assertArrayEquals(new int[] {id(t, "ll"), id(t, "o")}, t.encode("llo", false, false));
    }

    @Test
    void llama3TakesAWholeWordThatIsAToken() {
        // no merge sequence builds "hel" (h e -> he, then "he l" is no merge), but Llama 3 ignores merges for it
        assertArrayEquals(new int[] {id(vocab("qwen2").tokenizer(), "he"), id(vocab("qwen2").tokenizer(), "l")},
                vocab("qwen2").tokenizer().encode("hel", false, false));
        Tokenizer llama3 = vocab("llama-bpe").tokenizer();
        assertArrayEquals(new int[] {id(llama3, "hel")}, llama3.encode("hel", false, false));
    }

    @Test
    void preTokenizerDecidesTheWords() {
        // qwen2 cuts digits one by one, so "12" is never merged; llama3 keeps up to three together
        Tokenizer qwen = vocab("qwen2").tokenizer();
        assertArrayEquals(new int[] {id(qwen, "1"), id(qwen, "2")}, qwen.encode("12", false, false));
        Tokenizer llama3 = vocab("llama-bpe").tokenizer();
        assertArrayEquals(new int[] {id(llama3, "12")}, llama3.encode("12", false, false));
        // the space joins the following word: "Ġw" then "o"
        assertArrayEquals(new int[] {id(qwen, "hello"), id(qwen, " w"), id(qwen, "o")}, qwen.encode("hello wo", false, false));
    }

    @Test
    void bytesWithoutATokenAreDroppedAsLlamaCppDoes() {
        Tokenizer t = vocab("qwen2").tokenizer();
        // "é" in GPT-2's alphabet is "Ã©", no token; llama.cpp then looks each byte up alone and finds none
        assertArrayEquals(new int[0], t.encode("é", false, false));
        // a single ASCII byte that is a token is kept: "!z" -> "!" (and "z" is dropped)
        assertArrayEquals(new int[] {id(t, "!")}, t.encode("!z", false, false));
    }

    @Test
    void specialTokensAndFlags() {
        Tokenizer qwen = vocab("qwen2").tokenizer();
        int eot = id(qwen, "<|endoftext|>");
        int tool = id(qwen, "<tool>");
        assertArrayEquals(new int[] {eot, tool}, qwen.encode("<|endoftext|><tool>", false, true));
        assertArrayEquals(new int[] {tool}, qwen.encode("<tool>", false, false), "user-defined tokens are always cut out");
        assertArrayEquals(new int[] {eot}, qwen.encode("<|endoftext|>", true, true), "qwen2 adds no BOS");
        assertTrue(qwen.isEndOfGeneration(eot));
        Tokenizer llama3 = vocab("llama-bpe").tokenizer();
        assertArrayEquals(new int[] {18, id(llama3, "hello")}, llama3.encode("hello", true, false), "Llama 3 adds BOS");
    }

    @Test
    void piecesAndDecodeUndoTheByteAlphabet() {
        Tokenizer t = vocab("gpt-2").tokenizer();
        assertEquals(" w", new String(t.piece(id(t, " w")), StandardCharsets.UTF_8));
        assertEquals("hello wo", t.decode(t.encode("hello wo", false, false)));
    }

    @Test
    void aBosTheVocabularyLacksIsRefusedWhenAsked() {
        SyntheticVocab glm = vocab("glm4");
        glm.metadata(w -> w.remove("tokenizer.ggml.bos_token_id").putBool("tokenizer.ggml.add_bos_token", true));
        Tokenizer t = glm.tokenizer();
        assertThrows(IllegalArgumentException.class, () -> t.encode("hello", true, false));
        assertEquals(1, t.encode("hello", false, false).length);
    }

    @Test
    void unsupportedVocabulariesAreRefusedByName() {
        UnsupportedOperationException pre = assertThrows(UnsupportedOperationException.class, () -> vocab("deepseek-llm").tokenizer());
        assertTrue(pre.getMessage().contains("deepseek-llm"), pre.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> vocab("default").tokenizer());
        SyntheticVocab bert = new SyntheticVocab("bert");
        bert.add("[CLS]");
        UnsupportedOperationException model = assertThrows(UnsupportedOperationException.class, bert::tokenizer);
        assertTrue(model.getMessage().contains("bert"), model.getMessage());
        SyntheticVocab noMerges = new SyntheticVocab("gpt2");
        noMerges.add("a");
        noMerges.metadata(w -> w.putString("tokenizer.ggml.pre", "qwen2"));
        assertThrows(IllegalArgumentException.class, noMerges::tokenizer);
    }
}
