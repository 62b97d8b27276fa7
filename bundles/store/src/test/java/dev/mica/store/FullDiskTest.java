package dev.mica.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.ModelStoreException.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's other writes than a pull (an upload, a file imported by copy) on a disk that fills up. */
class FullDiskTest {
    @TempDir Path dir;

    /** A disk with {@code quota} bytes left, on another file system than the files imported from. */
    private static Disk filling(AtomicLong quota) {
        return new Disk() {
            @Override
            public int write(FileChannel channel, ByteBuffer data, long position) throws IOException {
                if (quota.addAndGet(-data.remaining()) < 0) throw new IOException("No space left on device");
                return channel.write(data, position);
            }

            @Override
            public long usableSpace(Path d) {
                return Math.max(0, quota.get());
            }

            @Override
            public void link(Path link, Path existing) throws IOException {
                throw new IOException("Invalid cross-device link");
            }
        };
    }

    private byte[] weights() {
        byte[] data = new byte[300_000];
        Arrays.fill(data, (byte) 7);
        data[0] = 'G';
        data[1] = 'G';
        data[2] = 'U';
        data[3] = 'F';
        return data;
    }

    private void assertNothingWritten() throws IOException {
        Path blobs = dir.resolve("models/blobs");
        if (Files.isDirectory(blobs)) {
            try (Stream<Path> left = Files.list(blobs)) {
                assertEquals(0, left.count(), "nothing half-written stays behind");
            }
        }
        assertFalse(Files.exists(dir.resolve("models/manifests")));
    }

    @Test
    void anUploadThatFillsTheDiskIsAClearErrorAndLeavesNothing() throws Exception {
        byte[] data = weights();
        LocalModelStore store = new LocalModelStore(dir.resolve("models"), null, PullSettings.defaults(), filling(new AtomicLong(100_000)));

        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> store.putBlob(Blobs.digestOf(data), new ByteArrayInputStream(data)));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertTrue(e.getMessage().contains("free some space and upload again"), e.getMessage());
        assertNothingWritten();
    }

    @Test
    void importingAFileLargerThanTheFreeSpaceIsRefusedBeforeCopying() throws Exception {
        Path file = dir.resolve("model.gguf");
        Files.write(file, weights());
        AtomicLong quota = new AtomicLong(100_000);
        LocalModelStore store = new LocalModelStore(dir.resolve("models"), null, PullSettings.defaults(), filling(quota));

        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> store.create(new CreateRequest("big", file.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("not enough disk space for model.gguf"), e.getMessage());
        assertEquals(100_000, quota.get(), "refused before a byte was written");
        assertNothingWritten();
    }

    @Test
    void aDiskThatFillsUpDuringAnImportIsAClearErrorAndLeavesNothing() throws Exception {
        Path file = dir.resolve("model.gguf");
        Files.write(file, weights());
        AtomicLong quota = new AtomicLong(400_000);
        LocalModelStore store = new LocalModelStore(dir.resolve("models"), null, PullSettings.defaults(), new Disk() {
            final Disk full = filling(quota);

            @Override
            public int write(FileChannel channel, ByteBuffer data, long position) throws IOException {
                quota.addAndGet(-200_000); // another writer takes the room the check saw
                return full.write(channel, data, position);
            }

            @Override
            public long usableSpace(Path d) throws IOException {
                return full.usableSpace(d);
            }

            @Override
            public void link(Path link, Path existing) throws IOException {
                full.link(link, existing);
            }
        });

        ModelStoreException e = assertThrows(ModelStoreException.class,
                () -> store.create(new CreateRequest("big", file.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE));

        assertEquals(Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("cannot write model.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertNothingWritten();
        assertTrue(store.list().isEmpty());
    }
}
