package dev.mica.api.model;

/** A store operation was refused; {@link #kind()} says which HTTP status fits. */
public class ModelStoreException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Kind { NOT_FOUND, INVALID, CONFLICT, IO }

    private final Kind kind;

    public ModelStoreException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ModelStoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
