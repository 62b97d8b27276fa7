package dev.mica.api.model;

/**
 * One progress report of a pull, with Ollama's fields: a {@code status} line, and for a blob being
 * downloaded its {@code digest}, {@code total} size and bytes {@code completed} so far.
 *
 * @param digest {@code sha256:<hex>} of the blob, or null for a status without a blob
 * @param total the blob's size in bytes, or 0 when there is no blob
 * @param completed bytes of the blob already on disk, including bytes a resumed pull found
 */
public record PullProgress(String status, String digest, long total, long completed) {

    /** A status line without a blob, such as "pulling manifest" or "success". */
    public static PullProgress status(String status) {
        return new PullProgress(status, null, 0, 0);
    }
}
