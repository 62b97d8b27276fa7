package dev.mica.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Content-addressed files named {@code sha256-<hex>}, as Ollama keeps them. A blob becomes visible
 * only after its digest was checked: content is written to a temporary file first and moved in.
 */
final class Blobs {
    private static final Pattern DIGEST = Pattern.compile("sha256[:-]([0-9a-f]{64})");

    private final Path dir;

    Blobs(Path dir) {
        this.dir = dir;
    }

    /** Normalizes {@code sha256:<hex>} or {@code sha256-<hex>}; rejects anything else. */
    static String normalize(String digest) {
        if (digest == null) throw new IllegalArgumentException("digest is missing");
        var m = DIGEST.matcher(digest.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid digest '" + digest.codePoints().limit(80)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append) + "': expected sha256:<64 hex>");
        }
        return "sha256:" + m.group(1);
    }

    Path path(String digest) {
        return dir.resolve(normalize(digest).replace(':', '-'));
    }

    boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    /** Writes a stream as a blob, checking it against the expected digest. */
    String put(InputStream in, String expectedDigest) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".partial-", ".tmp");
        try {
            MessageDigest sha = sha256();
            try (OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
            if (expectedDigest != null && !actual.equals(normalize(expectedDigest))) {
                throw new DigestMismatchException("digest mismatch: expected " + normalize(expectedDigest) + ", got " + actual);
            }
            moveIn(tmp, path(actual));
            return actual;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Adds a local file as a blob without copying when the file system allows a hard link, so
     * importing a multi-gigabyte GGUF is instant; otherwise copies it.
     */
    String importFile(Path file) throws IOException {
        String digest = "sha256:" + hash(file);
        Path target = path(digest);
        if (Files.exists(target)) return digest;
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".import-" + System.nanoTime() + ".tmp");
        try {
            try {
                Files.createLink(tmp, file);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            moveIn(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return digest;
    }

    static String hash(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static String digestOf(byte[] data) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(data));
    }

    String putBytes(byte[] data) throws IOException {
        String digest = digestOf(data);
        if (!has(digest)) {
            put(new java.io.ByteArrayInputStream(data), digest);
        }
        return digest;
    }

    private static void moveIn(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            // the same content arrived twice: the existing blob is identical
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class DigestMismatchException extends IOException {
        private static final long serialVersionUID = 1L;

        DigestMismatchException(String message) {
            super(message);
        }
    }
}
