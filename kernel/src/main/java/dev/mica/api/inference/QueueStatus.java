package dev.mica.api.inference;

/**
 * How busy the engine is, for metrics and health checks.
 *
 * @param waiting requests accepted but not yet decoding (waiting for a free sequence)
 * @param running sequences being decoded now, over all loaded models
 * @param parallel sequences that may decode at once, over all loaded models
 * @param capacity most requests that may wait; one more is refused as unavailable (503)
 */
public record QueueStatus(int waiting, int running, int parallel, int capacity) {
    public static final QueueStatus IDLE = new QueueStatus(0, 0, 0, 0);
}
