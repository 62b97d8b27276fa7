package dev.mica.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Content-addressed files named {@code sha256-<hex>}, as Ollama keeps them. A blob becomes visible
 * only after its digest was checked: content is written to a temporary file first and moved in.
 * Blobs a create or pull in progress has written but no manifest names yet are pinned, so a
 * concurrent delete's clean-up does not take them away.
 */
final class Blobs {
    private static final Pattern DIGEST = Pattern.compile("sha256[:-]([0-9a-f]{64})");
    private static final Pattern BLOB_FILE = Pattern.compile("sha256-[0-9a-f]{64}");

    private final Path dir;
    private final Disk disk;
    private final Map<String, Integer> pins = new ConcurrentHashMap<>();

    Blobs(Path dir, Disk disk) {
        this.dir = dir;
        this.disk = disk;
    }

    Path dir() {
        return dir;
    }

    /** Normalizes {@code sha256:<hex>} or {@code sha256-<hex>}; rejects anything else. */
    static String normalize(String digest) {
        if (digest == null) throw new IllegalArgumentException("digest is missing");
        var m = DIGEST.matcher(digest.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid digest '" + ModelName.printable(digest) + "': expected sha256:<64 hex>");
        }
        return "sha256:" + m.group(1);
    }

    Path path(String digest) {
        return dir.resolve(normalize(digest).replace(':', '-'));
    }

    boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    /** Keeps a blob from clean-up until {@link #unpin}; pins count, so nested users are fine. */
    void pin(String digest) {
        pins.merge(normalize(digest), 1, Integer::sum);
    }

    void unpin(String digest) {
        pins.computeIfPresent(normalize(digest), (k, n) -> n == 1 ? null : n - 1);
    }

    /** Writes a stream as a blob, checking it against the expected digest. */
    String put(InputStream in, String expectedDigest) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".upload-", ".tmp");
        try {
            MessageDigest sha = sha256();
            write(in, tmp, sha, expectedDigest == null ? "an upload" : normalize(expectedDigest), "free some space and upload again");
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
     * Copies {@code in} into {@code target} through the {@link Disk}. Only the writes become a
     * {@link Disk.DiskException}: a failed read (a client that hung up) is not the disk's fault.
     */
    private void write(InputStream in, Path target, MessageDigest sha, String what, String advice) throws IOException {
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            long position = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                if (sha != null) sha.update(buf, 0, n);
                ByteBuffer data = ByteBuffer.wrap(buf, 0, n);
                try {
                    while (data.hasRemaining()) position += disk.write(out, data, position);
                } catch (IOException e) {
                    throw disk.writeFailed(what, dir, e, advice);
                }
            }
        }
    }

    /**
     * Adds a local file as a blob without copying when the file system allows a hard link, so
     * importing a multi-gigabyte GGUF is instant; otherwise copies it.
     */
    String importFile(Path file) throws IOException {
        return importFile(file, new ArrayList<>());
    }

    /** As {@link #importFile(Path)}, adding the digest to {@code added} when the blob is new. */
    String importFile(Path file, List<String> added) throws IOException {
        String digest = "sha256:" + hash(file);
        if (linkIn(file, digest, false)) added.add(digest);
        return digest;
    }

    /**
     * Takes a file whose digest is {@code digest} (a blob of another store, a finished download)
     * by hard link or copy. The linked or copied file is checked before it is moved in, so a
     * source that was not what it claimed never becomes a blob.
     */
    void adopt(Path file, String digest) throws IOException {
        linkIn(file, digest, true);
    }

    /** Returns whether the blob is new. */
    private boolean linkIn(Path file, String digest, boolean verify) throws IOException {
        Path target = path(digest);
        if (Files.exists(target)) return false;
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".import-" + System.nanoTime() + "-" + Thread.currentThread().threadId() + ".tmp");
        try {
            try {
                disk.link(tmp, file);
            } catch (IOException | UnsupportedOperationException e) {
                // another file system: a real copy, which needs the room for it
                disk.requireSpace(dir, Files.size(file), file.getFileName().toString());
                try (InputStream in = Files.newInputStream(file)) {
                    write(in, tmp, null, file.getFileName().toString(), "free some space and create again");
                }
            }
            if (verify) {
                String actual = "sha256:" + hash(tmp);
                if (!actual.equals(normalize(digest))) {
                    throw new DigestMismatchException(file + " does not match its digest: expected " + normalize(digest) + ", got " + actual);
                }
            }
            moveIn(tmp, target);
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String hash(Path file) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
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

    /** Removes those of {@code digests} that are neither {@code live} nor pinned. */
    void remove(Collection<String> digests, Set<String> live) throws IOException {
        for (String d : digests) {
            String n = normalize(d);
            if (!live.contains(n) && !pins.containsKey(n)) Files.deleteIfExists(path(n));
        }
    }

    /**
     * Removes blobs neither {@code live} nor pinned. Only exact blob names are touched: the
     * partial files of downloads in progress (and anything else) stay.
     */
    void removeAllBut(Set<String> live) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path b : files.toList()) {
                String fn = b.getFileName().toString();
                if (!BLOB_FILE.matcher(fn).matches()) continue;
                String digest = fn.replace('-', ':');
                if (!live.contains(digest) && !pins.containsKey(digest)) {
                    Files.deleteIfExists(b);
                }
            }
        }
    }

    /** Moves a checked file in under its blob name; the move is atomic where the file system allows. */
    static void moveIn(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            // the same content arrived twice: the existing blob is identical
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static MessageDigest sha256() {
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
