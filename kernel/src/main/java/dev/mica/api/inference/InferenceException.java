package dev.mica.api.inference;

/** A request failed; {@link #kind()} maps to an HTTP status in each API's own error shape. */
public class InferenceException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** 400 */
        INVALID_REQUEST,
        /** 404 */
        NOT_FOUND,
        /** 503: queue full, no backend, shutting down */
        UNAVAILABLE,
        /** 500 */
        INTERNAL
    }

    private final Kind kind;

    public InferenceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public InferenceException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
