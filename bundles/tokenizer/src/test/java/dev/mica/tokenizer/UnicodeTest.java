package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** llama.cpp's Unicode tables and UTF-8 reading, quirks included. */
class UnicodeTest {

    @Test
    void categoriesAreLlamaCpps() {
        assertEquals(UnicodeFlags.LETTER, UnicodeFlags.of('A'));
        assertEquals(UnicodeFlags.NUMBER, UnicodeFlags.of('7'));
        assertEquals(UnicodeFlags.NUMBER, UnicodeFlags.of('½'));
        assertEquals(UnicodeFlags.SEPARATOR | UnicodeFlags.WHITESPACE, UnicodeFlags.of(' '));
        assertEquals(UnicodeFlags.CONTROL | UnicodeFlags.WHITESPACE, UnicodeFlags.of('\n'));
        assertEquals(UnicodeFlags.CONTROL | UnicodeFlags.WHITESPACE, UnicodeFlags.of(0x85));
        assertEquals(UnicodeFlags.SEPARATOR | UnicodeFlags.WHITESPACE, UnicodeFlags.of(0x3000));
        assertEquals(UnicodeFlags.ACCENT_MARK, UnicodeFlags.of(0x301));
        assertEquals(UnicodeFlags.PUNCTUATION, UnicodeFlags.of('!'));
        assertEquals(UnicodeFlags.SYMBOL, UnicodeFlags.of('+'));
        assertEquals(UnicodeFlags.LETTER, UnicodeFlags.of(0x4E00));
        assertEquals(UnicodeFlags.LETTER, UnicodeFlags.of(0x20000));
        assertEquals(UnicodeFlags.CONTROL, UnicodeFlags.of(0x200B), "zero-width space is a format character, not whitespace");
        assertEquals(UnicodeFlags.UNDEFINED, UnicodeFlags.of(0x378));
        assertEquals(UnicodeFlags.UNDEFINED, UnicodeFlags.of(0x110000));
        assertEquals(UnicodeFlags.UNDEFINED, UnicodeFlags.of(-1));
    }

    private static int[] codepoints(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return Utf8.codepoints(b, 0, b.length).toArray();
    }

    @Test
    void utf8AsLlamaCppReadsIt() {
        assertArrayEquals(new int[] {'a', 0xE9, 0x20AC, 0x1F999}, codepoints('a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0xA6, 0x99));
        assertArrayEquals(new int[] {0xFFFD}, codepoints(0xC3), "a cut sequence");
        assertArrayEquals(new int[] {0xFFFD, 0xFFFD}, codepoints(0xE2, 0x82), "one replacement per byte");
        assertArrayEquals(new int[] {0xFFFD, 'a'}, codepoints(0x80, 'a'), "a stray continuation byte");
        assertArrayEquals(new int[] {0xFFFD, 0xFFFD}, codepoints(0xF8, 0x80));
        assertArrayEquals(new int[] {0}, codepoints(0xC0, 0x80), "overlong forms are not rejected");
        assertArrayEquals(new int[] {0x10FFFF}, codepoints(0xF4, 0x8F, 0xBF, 0xBF));
        assertEquals(2, Utf8.sequenceLength((byte) 0xC3));
        assertEquals(1, Utf8.sequenceLength((byte) 0x80), "a continuation byte counts alone");
        assertEquals(4, Utf8.sequenceLength((byte) 0xF0));
    }

    @Test
    void codePointsBeyondUnicodeCannotBeWritten() {
        ByteBuilder out = new ByteBuilder(4);
        Utf8.append(out, 0x10FFFF);
        assertEquals(4, out.size());
        assertThrows(IllegalArgumentException.class, () -> Utf8.append(out, 0x110000));
    }

    @Test
    void gpt2ByteAlphabet() {
        assertEquals('!', ByteLevel.codepoint('!'));
        assertEquals(0x120, ByteLevel.codepoint(' '), "the space is Ġ");
        assertEquals(0x10A, ByteLevel.codepoint('\n'), "the newline is Ċ");
        for (int b = 0; b < 256; b++) {
            assertEquals(b, ByteLevel.byteOf(ByteLevel.codepoint(b)));
        }
        assertEquals(-1, ByteLevel.byteOf(0x2581));
    }
}
