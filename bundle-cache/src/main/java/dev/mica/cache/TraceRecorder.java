package dev.mica.cache;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Appends one {@link Trace.Request} per finished request to a JSON-lines file, for
 * {@code mica cache replay}. It holds no text: token blocks and conversation keys are hashed with
 * a salt drawn when recording starts, so the same prefix hashes alike within one trace and nothing
 * can be looked up across traces.
 */
final class TraceRecorder implements AutoCloseable {
    static final int BLOCK_TOKENS = 16;
    private static final System.Logger LOG = System.getLogger("mica.cache");

    private final Path file;
    private final Writer out;
    private final long start = System.nanoTime();
    private final long salt = new SecureRandom().nextLong();
    private boolean failed;

    TraceRecorder(Path file) throws IOException {
        this.file = file;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    synchronized void record(String conversation, int[] tokens, int length, int promptTokens) {
        if (failed) return;
        try {
            Trace.append(out, new Trace.Request(System.nanoTime() - start, conversationHash(conversation), BLOCK_TOKENS,
                    Trace.blockHashes(tokens, length, BLOCK_TOKENS, salt), promptTokens, Math.max(0, length - promptTokens)));
            out.flush();
        } catch (IOException e) {
            failed = true; // one warning, not one per request; serving goes on
            LOG.log(System.Logger.Level.WARNING, "cannot write the cache trace " + file + "; recording stops: " + e.getMessage());
        }
    }

    private String conversationHash(String conversation) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Long.toString(salt).getBytes(StandardCharsets.UTF_8));
            sha.update(String.valueOf(conversation).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the cache trace " + file + " failed: " + e.getMessage());
        }
    }
}
