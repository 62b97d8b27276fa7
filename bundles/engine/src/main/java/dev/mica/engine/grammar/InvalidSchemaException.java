package dev.mica.engine.grammar;

/** A JSON schema that is malformed or asks for what cannot be generated; the message names the place. */
public final class InvalidSchemaException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidSchemaException(String message) {
        super(message);
    }
}
