package dev.mica.api.model;

/**
 * How to pull a model.
 *
 * @param insecure allow plain HTTP to a registry named in the model name (Ollama's
 *     {@code --insecure}); the configured default registry keeps the scheme it was given
 */
public record PullOptions(boolean insecure) {
    public static final PullOptions DEFAULT = new PullOptions(false);
}
