package dev.mica.api.arch;

/**
 * An architecture cannot build a forward pass for a model: a key or tensor is missing, or the
 * shapes disagree. The message is meant for the user and names the key or tensor at fault.
 */
public class ArchitectureException extends Exception {
    private static final long serialVersionUID = 1L;

    public ArchitectureException(String message) {
        super(message);
    }

    public ArchitectureException(String message, Throwable cause) {
        super(message, cause);
    }
}
