package dev.mica.cli;

/** A failure to report as {@code Error: <message>} with an exit code, without a stack trace. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit codes a shell user expects: 1 for a failure, 2 for a usage error, 127 for a missing program. */
    static final int FAILURE = 1, USAGE = 2, NOT_FOUND = 127;

    private final int exitCode;

    CliException(String message) {
        this(message, FAILURE);
    }

    CliException(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
