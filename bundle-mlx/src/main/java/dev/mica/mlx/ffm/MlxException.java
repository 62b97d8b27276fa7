package dev.mica.mlx.ffm;

/** An mlx-c call failed; the message is the one MLX gave its error handler. */
public final class MlxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MlxException(String message) {
        super(message);
    }
}
