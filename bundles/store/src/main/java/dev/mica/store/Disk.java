package dev.mica.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the store asks of the disk when it writes a blob (a download, an upload, an imported file):
 * a positional write, the free space, and a hard link. An interface so tests can simulate a full
 * disk, which cannot be made on demand on a real one.
 */
interface Disk {
    Disk REAL = new Disk() {
        @Override
        public int write(FileChannel channel, ByteBuffer data, long position) throws IOException {
            return channel.write(data, position);
        }

        @Override
        public long usableSpace(Path dir) throws IOException {
            return Files.getFileStore(dir).getUsableSpace();
        }
    };

    int write(FileChannel channel, ByteBuffer data, long position) throws IOException;

    /** A hard link, so an imported file costs no space; fails across file systems (then the store copies). */
    default void link(Path link, Path existing) throws IOException {
        Files.createLink(link, existing);
    }

    long usableSpace(Path dir) throws IOException;

    /**
     * What a failed write says: the folder, the cause, and the free space left, which tells a full
     * disk from a failing one.
     */
    default DiskException writeFailed(String what, Path dir, IOException cause, String advice) {
        long free = -1;
        try {
            free = usableSpace(dir);
        } catch (IOException ignored) {
            // the message says what is known
        }
        return new DiskException("cannot write " + what + " to " + dir + ": " + cause.getMessage()
                + (free >= 0 ? " (" + bytes(free) + " free)" : "") + "; " + advice, cause);
    }

    /** Refuses before writing when the disk cannot take {@code needed} bytes, instead of failing half-way. */
    default void requireSpace(Path dir, long needed, String what) throws IOException {
        long free = usableSpace(dir);
        if (free < needed) {
            throw new DiskException("not enough disk space for " + what + " in " + dir + ": " + bytes(needed) + " needed, " + bytes(free) + " free", null);
        }
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        if (n >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
        return n + " bytes";
    }

    /** The disk could not take the bytes: full, or failing. Never retried. */
    final class DiskException extends IOException {
        private static final long serialVersionUID = 1L;

        DiskException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
