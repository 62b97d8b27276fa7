package dev.mica.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * One HTTP API (Ollama's, OpenAI's, later Anthropic's): its routes and its error shape. The server
 * asks each API in turn whether it owns a failed request's path, so an error always comes back in
 * the shape the client of that API parses. Add an API by writing one more implementation and
 * listing it in {@link MicaHttpServer}, before the broader ones (Ollama's owns every path).
 */
interface ApiRoutes {
    void register(RoutesConfig routes);

    /**
     * Whether errors on this path use this API's shape. None by default: errors of routes beside
     * the three APIs (status, metrics, cache) read like Ollama's, the default shape.
     */
    default boolean owns(String path) {
        return false;
    }

    /** Writes {@code error} as this API's error body, with its status; only called for paths it owns. */
    default void writeError(Context ctx, ApiError error) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " owns no path");
    }
}
