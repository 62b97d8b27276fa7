package dev.mica.http;

import dev.mica.api.inference.InferenceException;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * An error as every API sees it before it picks its own shape: an HTTP status, a message for the
 * client, the offending field (if known) and a short machine-readable code.
 *
 * @param code one of {@code invalid_request}, {@code invalid_api_key}, {@code forbidden},
 *     {@code model_not_found}, {@code not_found},
 *     {@code method_not_allowed}, {@code request_too_large}, {@code unavailable}, {@code internal_error}
 */
record ApiError(int status, String message, String param, String code) {
    private static final System.Logger LOG = System.getLogger("mica.http");

    /** Maps whatever a handler threw to what the client is told. Unexpected failures are logged. */
    static ApiError of(Throwable t) {
        Throwable e = unwrap(t);
        return switch (e) {
            case ApiException a -> new ApiError(a.status(), a.getMessage(), a.param(), codeFor(a.status(), false));
            case InferenceException i -> fromInference(i);
            case HttpResponseException h -> new ApiError(h.getStatus(), javalinMessage(h), null, codeFor(h.getStatus(), false));
            default -> {
                LOG.log(Level.ERROR, "request failed unexpectedly", e);
                yield new ApiError(500, "internal error: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()), null, "internal_error");
            }
        };
    }

    private static ApiError fromInference(InferenceException e) {
        int status = switch (e.kind()) {
            case INVALID_REQUEST -> 400;
            case NOT_FOUND -> 404;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
        };
        if (status == 500) {
            LOG.log(Level.WARNING, "engine failure", e);
        }
        String message = e.getMessage() == null ? e.kind().name().toLowerCase() : e.getMessage();
        return new ApiError(status, message, null, codeFor(status, true));
    }

    private static String codeFor(int status, boolean fromEngine) {
        return switch (status) {
            case 400, 422 -> "invalid_request";
            case 401 -> "invalid_api_key";
            case 403 -> "forbidden";
            case 404 -> fromEngine ? "model_not_found" : "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "request_too_large";
            case 503 -> "unavailable";
            default -> status >= 500 ? "internal_error" : "invalid_request";
        };
    }

    private static String javalinMessage(HttpResponseException h) {
        // Javalin's "Endpoint GET /x not found" reads like Go's "404 page not found" that Ollama sends.
        return h.getMessage() == null ? "HTTP " + h.getStatus() : h.getMessage();
    }

    static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Whether a write failed because the client went away (Jetty's EofException is an IOException). */
    static boolean isClientGone(Throwable t) {
        return unwrap(t) instanceof IOException;
    }
}
