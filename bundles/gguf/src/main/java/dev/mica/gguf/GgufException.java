package dev.mica.gguf;

import java.io.IOException;

/**
 * A GGUF file is malformed, truncated, hostile or unsupported. The message says what is wrong and where
 * (the byte offset in the file, the key or the tensor).
 */
public class GgufException extends IOException {
    private static final long serialVersionUID = 1L;

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
