package dev.mica.api.backend;

/** Availability of a backend. {@code detail} says why when unavailable, and what runs when available. */
public record BackendStatus(boolean available, String detail) {
    public static BackendStatus available(String detail) {
        return new BackendStatus(true, detail);
    }

    public static BackendStatus unavailable(String reason) {
        return new BackendStatus(false, reason);
    }
}
