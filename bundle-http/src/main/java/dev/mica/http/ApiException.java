package dev.mica.http;

/**
 * A request this front end refuses before it reaches the engine: bad JSON, a missing field, an
 * option of the wrong type, a body too large. Each API turns it into its own error shape.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String param;

    ApiException(int status, String message, String param) {
        super(message, null, false, false); // validation failures need no stack trace
        this.status = status;
        this.param = param;
    }

    /** 400 for a field: {@code param} names it, for OpenAI's {@code error.param}. */
    static ApiException badField(String param, String message) {
        return new ApiException(400, message, param);
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message, null);
    }

    int status() {
        return status;
    }

    String param() {
        return param;
    }
}
