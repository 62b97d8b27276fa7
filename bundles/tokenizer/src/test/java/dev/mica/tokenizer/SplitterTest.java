package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand-written pre-tokenizers, word by word, against what their regular expressions mean. */
class SplitterTest {

    private static List<String> words(Splitter splitter, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        return splitter.split(utf8, 0, utf8.length, false).stream().map(ByteStrings::decodeUtf8).toList();
    }

    @Test
    void llama3() {
        assertEquals(List.of("Hello", ",", " world", "!!"), words(Splitter.LLAMA3, "Hello, world!!"));
        assertEquals(List.of("I", "'m", " ok"), words(Splitter.LLAMA3, "I'm ok"));
        assertEquals(List.of("WE", "'LL", " GO"), words(Splitter.LLAMA3, "WE'LL GO"), "contractions in any case");
        assertEquals(List.of("123", "456", "7"), words(Splitter.LLAMA3, "1234567"));
        assertEquals(List.of("a", " ", " b"), words(Splitter.LLAMA3, "a  b"), "\\s+(?!\\S) leaves the last space to the word");
        assertEquals(List.of("x", "  \n\n", " y"), words(Splitter.LLAMA3, "x  \n\n y"), "\\s*[\\r\\n]+");
        assertEquals(List.of(" !!!\n\n"), words(Splitter.LLAMA3, " !!!\n\n"), " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*");
        assertEquals(List.of("a", "\u00a0b"), words(Splitter.LLAMA3, "a\u00a0b"), "a no-break space may lead a word");
        assertEquals(List.of("   "), words(Splitter.LLAMA3, "   "), "trailing spaces stay together");
    }

    @Test
    void qwen2CutsEveryDigit() {
        assertEquals(List.of("1", "2", "3", "4"), words(Splitter.QWEN2, "1234"));
        assertEquals(List.of("abc", "1", "2"), words(Splitter.QWEN2, "abc12"));
    }

    @Test
    void qwen35KeepsCombiningMarksWithLetters() {
        assertEquals(List.of("e", "\u0301x"), words(Splitter.QWEN2, "e\u0301x"),
                "qwen2: the mark is no letter, it leads the next word");
        assertEquals(List.of("e\u0301x"), words(Splitter.QWEN35, "e\u0301x"));
    }

    @Test
    void gpt2ContractionsAreCaseSensitive() {
        assertEquals(List.of("I", "'m"), words(Splitter.GPT2, "I'm"));
        assertEquals(List.of("I", "'", "M"), words(Splitter.GPT2, "I'M"));
        assertEquals(List.of("Hello", " ", " world"), words(Splitter.GPT2, "Hello  world"));
        assertEquals(List.of("12345", " 67"), words(Splitter.GPT2, "12345 67"), "digit runs of any length");
    }

    @Test
    void malformedUtf8IsReadAsReplacementCharacters() {
        byte[] text = {'a', (byte) 0xC3, 'b'};
        List<String> words = Splitter.LLAMA3.split(text, 0, text.length, false);
        // U+FFFD is a symbol, and like a space it may lead the next word: [^\r\n\p{L}\p{N}]?\p{L}+
        assertEquals(List.of("a", "\uFFFDb"), words.stream().map(ByteStrings::decodeUtf8).toList());
    }

    @Test
    void byteLevelEncodingUsesGpt2sAlphabet() {
        byte[] text = " é\n".getBytes(StandardCharsets.UTF_8);
        List<String> words = Splitter.GPT2.split(text, 0, text.length, true);
        assertEquals(List.of("ĠÃ©", "Ċ"), words.stream().map(ByteStrings::decodeUtf8).toList());
    }
}
