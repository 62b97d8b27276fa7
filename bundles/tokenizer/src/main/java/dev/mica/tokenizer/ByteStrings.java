package dev.mica.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Byte strings: Java Strings whose chars are all below 256, one char per byte (ISO-8859-1).
 *
 * <p>llama.cpp's vocabulary maps, merges and special-token search work on raw bytes, which need not
 * be whole UTF-8 characters (a SentencePiece symbol may be a lone continuation byte, a byte-level
 * BPE fallback looks up single bytes). Keeping token texts and text fragments as byte strings gives
 * exactly those semantics with the JDK's String hashing and {@code indexOf}, and costs one byte per
 * char in memory (compact strings).
 */
final class ByteStrings {
    private ByteStrings() {}

    static String of(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    static String of(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    /** The UTF-8 bytes of a Java string, as a byte string. */
    static String utf8(String text) {
        return of(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] bytes(String byteString) {
        return byteString.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The Java string a byte string holds as UTF-8 (malformed bytes become U+FFFD). */
    static String decodeUtf8(String byteString) {
        return new String(bytes(byteString), StandardCharsets.UTF_8);
    }
}
