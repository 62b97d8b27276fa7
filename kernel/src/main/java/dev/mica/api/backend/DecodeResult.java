package dev.mica.api.backend;

/** Outcome of {@link InferenceContext#decode}. */
public enum DecodeResult {
    OK,
    /** No free KV cells: free a sequence, or use a smaller batch. */
    NO_SPACE,
    /** The decode was interrupted by {@link InferenceContext#abort()}. */
    ABORTED
}
