package dev.mica.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The two things a download asks of the disk: a positional write and the free space. An interface
 * so tests can simulate a full disk, which cannot be made on demand on a real one.
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

    long usableSpace(Path dir) throws IOException;

    /** The disk could not take the bytes: full, or failing. Never retried. */
    final class DiskException extends IOException {
        private static final long serialVersionUID = 1L;

        DiskException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
