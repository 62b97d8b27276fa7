package dev.mica.tokenizer;

import static dev.mica.tokenizer.SyntheticVocab.CONTROL;
import static dev.mica.tokenizer.SyntheticVocab.UNDEFINED;
import static dev.mica.tokenizer.SyntheticVocab.UNKNOWN;
import static dev.mica.tokenizer.SyntheticVocab.UNUSED;
import static dev.mica.tokenizer.SyntheticVocab.USER_DEFINED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Tokenizer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** SentencePiece ("llama") vocabularies, on a small vocabulary whose every merge is known. */
class SentencePieceVocabTest {
    private final SyntheticVocab vocab = new SyntheticVocab("llama");
    private final int unk = vocab.add("<unk>", UNKNOWN, 0);
    private final int bos = vocab.add("<s>", CONTROL, 0);
    private final int eos = vocab.add("</s>", CONTROL, 0);
    private final int byte00 = 3;
    {
        vocab.bytes();
    }
    private final int space = vocab.add("▁", SyntheticVocab.NORMAL, -10);
    private final int a = vocab.add("a", SyntheticVocab.NORMAL, -10);
    private final int b = vocab.add("b", SyntheticVocab.NORMAL, -10);
    private final int c = vocab.add("c", SyntheticVocab.NORMAL, -10);
    private final int x = vocab.add("x", SyntheticVocab.NORMAL, -10);
    private final int spaceA = vocab.add("▁a", SyntheticVocab.NORMAL, -1);
    private final int bc = vocab.add("bc", SyntheticVocab.NORMAL, -0.5f);
    private final int ab = vocab.add("ab", SyntheticVocab.NORMAL, -2);
    private final int spaceAbc = vocab.add("▁abc", SyntheticVocab.NORMAL, -3);
    private final int cc = vocab.add("cc", SyntheticVocab.NORMAL, -1);
    private final int spaceX = vocab.add("▁x", SyntheticVocab.NORMAL, -1);
    private final int tool = vocab.add("<tool>", USER_DEFINED, 0);
    private final int ctl = vocab.add("<|ctl|>", CONTROL, 0);
    private final int unused = vocab.add("<unused0>", UNUSED, 0);
    private final int unusedControl = vocab.add("<unused1>", CONTROL, 0);
    private final int undefined = vocab.add("zz", UNDEFINED, 0);
    private final int imEnd = vocab.add("<|im_end|>", SyntheticVocab.NORMAL, 0);

    private int byteToken(int value) {
        return byte00 + value;
    }

    @Test
    void mergesTheBestScoringPairFirst() {
        // ▁ a b c: "bc" (-0.5) beats "▁a" (-1) and "ab" (-2); then ▁a + bc = "▁abc"
        assertArrayEquals(new int[] {spaceAbc}, vocab.tokenizer().encode("abc", false, false));
    }

    @Test
    void equalScoresMergeLeftmostFirst() {
        // "▁" + "c c c": both "cc" candidates score alike; the left one wins, leaving "c" last
        assertArrayEquals(new int[] {space, cc, c}, vocab.tokenizer().encode("ccc", false, false));
    }

    @Test
    void unknownCharactersFallBackToBytes() {
        int[] ids = vocab.tokenizer().encode("é", false, false);
        assertArrayEquals(new int[] {space, byteToken(0xC3), byteToken(0xA9)}, ids);
    }

    @Test
    void aSpaceGoesBeforeTheTextAndAfterEverySpecialToken() {
        Tokenizer t = vocab.tokenizer();
        // user-defined tokens are cut out even without parseSpecial; the text after them is prefixed again
        assertArrayEquals(new int[] {spaceX, tool, spaceX}, t.encode("x<tool>x", false, false));
        assertArrayEquals(new int[] {spaceX, ctl, spaceX}, t.encode("x<|ctl|>x", false, true));
    }

    @Test
    void controlTokensAreTextUnlessParsed() {
        int[] ids = vocab.tokenizer().encode("<|ctl|>", false, false);
        assertFalse(java.util.Arrays.stream(ids).anyMatch(id -> id == ctl), "not parsed as the control token");
        assertEquals("<|ctl|>", vocab.tokenizer().decode(ids));
    }

    @Test
    void specialTokensFollowTheMetadata() {
        Tokenizer plain = vocab.tokenizer();
        assertArrayEquals(new int[] {bos, spaceX}, plain.encode("x", true, false), "SentencePiece adds BOS by default");
        vocab.metadata(w -> w.putBool("tokenizer.ggml.add_bos_token", false).putBool("tokenizer.ggml.add_eos_token", true));
        assertArrayEquals(new int[] {spaceX, eos}, vocab.tokenizer().encode("x", true, false));
    }

    @Test
    void noSpacePrefixWhenTheMetadataSaysSo() {
        vocab.metadata(w -> w.putBool("tokenizer.ggml.add_space_prefix", false));
        assertArrayEquals(new int[] {x}, vocab.tokenizer().encode("x", false, false));
    }

    @Test
    void piecesAreLlamaTokenToPieceWithSpecialTokens() {
        Tokenizer t = vocab.tokenizer();
        assertEquals(" abc", new String(t.piece(spaceAbc), StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {(byte) 0xC3}, t.piece(byteToken(0xC3)));
        assertEquals("<s>", new String(t.piece(bos), StandardCharsets.UTF_8));
        assertEquals("<unk>", new String(t.piece(unk), StandardCharsets.UTF_8));
        assertEquals("<tool>", new String(t.piece(tool), StandardCharsets.UTF_8));
        assertArrayEquals(new byte[0], t.piece(unused), "unused tokens have no piece");
        assertArrayEquals(new byte[0], t.piece(undefined), "tokens of undefined type have no piece");
        assertEquals("<unused1>", new String(t.piece(unusedControl), StandardCharsets.UTF_8), "control tokens keep their text");
        assertThrows(IllegalArgumentException.class, () -> t.piece(-1));
        assertThrows(IllegalArgumentException.class, () -> t.piece(t.vocabSize()));
    }

    @Test
    void decodeDropsTheLeadingSpaceSentencePieceAdded() {
        Tokenizer t = vocab.tokenizer();
        assertEquals("abc x", t.decode(new int[] {spaceAbc, spaceX}));
        assertEquals("abcé", t.decode(new int[] {spaceAbc, byteToken(0xC3), byteToken(0xA9)}));
        assertEquals("<s> abc", t.decode(new int[] {bos, spaceAbc}), "only the first piece loses its space, as in libllama");
    }

    @Test
    void endOfGenerationAndControlTokens() {
        Tokenizer t = vocab.tokenizer();
        assertTrue(t.isEndOfGeneration(eos));
        assertTrue(t.isEndOfGeneration(imEnd), "llama.cpp ends generation on <|im_end|> by its text");
        assertTrue(t.isControl(imEnd), "and makes it a control token");
        assertFalse(t.isEndOfGeneration(bos));
        assertTrue(t.isControl(bos));
        assertTrue(t.isControl(ctl));
        assertFalse(t.isControl(tool), "user-defined tokens are not control tokens");
        assertFalse(t.isControl(spaceX));
        assertFalse(t.isEndOfGeneration(-1));
        assertFalse(t.isControl(t.vocabSize()));
    }

    @Test
    void phi3ControlTokensSwallowTheWhitespaceAfterThem() {
        vocab.metadata(w -> w.putString("general.name", "Phi-3 mini"));
        Tokenizer t = vocab.tokenizer();
        // RSTRIP: the spaces after the control token go, so the text after it is just "▁x"
        assertArrayEquals(new int[] {ctl, spaceX}, t.encode("<|ctl|>   x", false, true));
    }

    @Test
    void byteWithoutAByteTokenIsRefused() {
        SyntheticVocab small = new SyntheticVocab("llama");
        small.add("<unk>", UNKNOWN, 0);
        small.add("<s>", CONTROL, 0);
        small.add("</s>", CONTROL, 0);
        small.add("▁", SyntheticVocab.NORMAL, 0);
        Tokenizer t = small.tokenizer();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.encode("q", false, false));
        assertTrue(e.getMessage().contains("0x71"), e.getMessage());
    }

    @Test
    void repeatedTokenTextsAreRefused() {
        SyntheticVocab twice = new SyntheticVocab("llama");
        twice.add("a");
        twice.add("a");
        assertThrows(IllegalArgumentException.class, twice::tokenizer);
    }

    @Test
    void emptyInputGivesNoTokens() {
        assertArrayEquals(new int[0], vocab.tokenizer().encode("", false, true));
        assertArrayEquals(new int[] {bos}, vocab.tokenizer().encode("", true, true));
    }

    @Test
    void byteTokensAreTheirByte() {
        assertArrayEquals(new byte[] {(byte) 0xFF}, vocab.tokenizer().piece(byteToken(0xFF)));
    }
}
