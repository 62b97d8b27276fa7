package dev.mica.api.backend;

/** Receives progress in [0, 1]. Returning false asks the producer to cancel. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = fraction -> true;

    boolean progress(double fraction);
}
