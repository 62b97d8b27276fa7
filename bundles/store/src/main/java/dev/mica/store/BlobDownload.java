package dev.mica.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Downloads one blob in parallel ranges into {@code sha256-<hex>-partial} beside the blobs, with
 * the parts' progress in {@code sha256-<hex>-partial.json}. A dropped connection is retried from
 * where it stopped; a pull that gave up (or a process that died) leaves both files, and the next
 * download of the blob continues them. The finished file becomes the blob only after its sha256
 * matched; a mismatch throws both files away, so bad bytes are never resumed.
 */
final class BlobDownload {
    private static final System.Logger LOG = System.getLogger("mica.store");
    private static final long REPORT_EVERY_MS = 100;
    private static final long SAVE_EVERY_MS = 1000;

    /** Progress of one blob, called on the thread that called {@link #fetch}. */
    interface Listener {
        void completed(long bytes);

        void verifying();
    }

    record PartState(long offset, long size, long completed) {}

    record State(String digest, long size, List<PartState> parts) {}

    private final Blobs blobs;
    private final PullSettings settings;
    private final Disk disk;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    BlobDownload(Blobs blobs, PullSettings settings, Disk disk) {
        this.blobs = blobs;
        this.settings = settings;
        this.disk = disk;
    }

    Path partialPath(String digest) {
        return blobs.dir().resolve(Blobs.normalize(digest).replace(':', '-') + "-partial");
    }

    Path statePath(String digest) {
        return blobs.dir().resolve(Blobs.normalize(digest).replace(':', '-') + "-partial.json");
    }

    /** Makes {@code digest} a blob, downloading what is missing; returns once it is verified and visible. */
    void fetch(String digest, long size, Http.RangeSource source, Listener listener) throws IOException {
        String d = Blobs.normalize(digest);
        ReentrantLock lock = locks.computeIfAbsent(d, k -> new ReentrantLock());
        lock.lock();
        try {
            if (blobs.has(d)) {
                listener.completed(size);
                return;
            }
            Files.createDirectories(blobs.dir());
            Path partial = partialPath(d);
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // Held while downloading: a second process pulling the same blob stops instead of
                // writing into the same file.
                FileLock fileLock = tryLock(channel, partial);
                try {
                    download(d, size, source, listener, channel);
                } finally {
                    fileLock.release();
                }
            }
            listener.verifying();
            String actual = "sha256:" + Blobs.hash(partial);
            if (!actual.equals(d)) {
                Files.deleteIfExists(partial);
                Files.deleteIfExists(statePath(d));
                throw new Blobs.DigestMismatchException("digest mismatch for " + d + ": the bytes received hash to " + actual
                        + "; they were discarded and no model was written");
            }
            Blobs.moveIn(partial, blobs.path(d));
            Files.deleteIfExists(statePath(d));
        } finally {
            lock.unlock();
        }
    }

    private static FileLock tryLock(FileChannel channel, Path partial) throws IOException {
        FileLock l;
        try {
            l = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            throw new Http.FatalException("another process is downloading into " + partial + "; wait for it to finish");
        }
        return l;
    }

    private void download(String digest, long size, Http.RangeSource source, Listener listener, FileChannel channel) throws IOException {
        Path statePath = statePath(digest);
        List<Part> parts = resume(statePath, digest, size, channel);
        if (parts == null) {
            channel.truncate(0);
            parts = plan(size);
        }
        long done = parts.stream().mapToLong(p -> p.completed.get()).sum();
        listener.completed(done);
        if (done > 0) LOG.log(System.Logger.Level.INFO, "resuming " + digest + " at " + done + " of " + size + " bytes");
        checkSpace(size - done, digest);

        ConcurrentLinkedQueue<Part> todo = new ConcurrentLinkedQueue<>(parts.stream().filter(p -> !p.done()).toList());
        int workers = Math.min(settings.parallel(), todo.size());
        AtomicReference<IOException> failure = new AtomicReference<>();
        CountDownLatch finished = new CountDownLatch(workers);
        List<Worker> running = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Worker w = new Worker(digest, size, source, channel, todo, failure, finished);
            running.add(w);
            Thread.ofVirtual().name("mica-pull-" + digest.substring(7, 19) + "-" + i).start(w);
        }
        long lastSave = System.currentTimeMillis();
        try {
            while (!finished.await(REPORT_EVERY_MS, TimeUnit.MILLISECONDS)) {
                listener.completed(parts.stream().mapToLong(p -> p.completed.get()).sum());
                long now = System.currentTimeMillis();
                for (Worker w : running) w.dropIfStalled(now);
                if (now - lastSave >= SAVE_EVERY_MS) {
                    save(statePath, digest, size, parts);
                    lastSave = now;
                }
            }
        } catch (InterruptedException e) {
            failure.compareAndSet(null, new InterruptedIOException("the pull was cancelled"));
            running.forEach(Worker::drop);
            awaitUninterruptibly(finished);
            Thread.currentThread().interrupt();
        } finally {
            save(statePath, digest, size, parts);
        }
        listener.completed(parts.stream().mapToLong(p -> p.completed.get()).sum());
        IOException e = failure.get();
        if (e != null) throw e;
        channel.force(false);
    }

    /** Workers stop soon once a failure is set; the partial file must not be closed under them. */
    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Parts of at least {@code minPart} bytes, at most {@code maxParts} of them. */
    private List<Part> plan(long size) {
        long n = Math.max(1, Math.min(settings.maxParts(), size / settings.minPart()));
        long partSize = (size + n - 1) / n;
        List<Part> parts = new ArrayList<>();
        for (long off = 0; off < size || parts.isEmpty(); off += partSize) {
            parts.add(new Part(off, Math.min(partSize, size - off), 0));
            if (size == 0) break;
        }
        return parts;
    }

    /** The saved parts, when they belong to this blob and fit the partial file; otherwise null. */
    private static List<Part> resume(Path statePath, String digest, long size, FileChannel channel) {
        if (!Files.isRegularFile(statePath)) return null;
        try {
            State s = Manifest.JSON.readValue(statePath.toFile(), State.class);
            if (!digest.equals(s.digest()) || s.size() != size || s.parts() == null || s.parts().isEmpty()) return null;
            List<Part> parts = new ArrayList<>();
            long expect = 0;
            for (PartState p : s.parts()) {
                if (p.offset() != expect || p.size() < 0 || p.completed() < 0 || p.completed() > p.size()) return null;
                if (p.offset() + p.completed() > channel.size()) return null;
                parts.add(new Part(p.offset(), p.size(), p.completed()));
                expect += p.size();
            }
            return expect == size ? parts : null;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring unreadable download state " + statePath + ": " + e.getMessage());
            return null;
        }
    }

    /** Written beside the partial file, atomically, so a crash leaves the old state or the new one. */
    private static void save(Path statePath, String digest, long size, List<Part> parts) {
        try {
            Path tmp = statePath.resolveSibling(statePath.getFileName() + ".tmp");
            List<PartState> states = parts.stream().map(p -> new PartState(p.offset, p.size, p.completed.get())).toList();
            Files.write(tmp, Manifest.JSON.writeValueAsBytes(new State(digest, size, states)));
            try {
                Files.move(tmp, statePath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, statePath, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // Losing the state costs a resume, not correctness: the digest check guards the bytes.
            LOG.log(System.Logger.Level.WARNING, "cannot save download state " + statePath + ": " + e.getMessage());
        }
    }

    private void checkSpace(long needed, String digest) throws IOException {
        disk.requireSpace(blobs.dir(), needed, digest + " (still to download)");
    }

    private static final class Part {
        final long offset;
        final long size;
        final AtomicLong completed;

        Part(long offset, long size, long completed) {
            this.offset = offset;
            this.size = size;
            this.completed = new AtomicLong(completed);
        }

        boolean done() {
            return completed.get() >= size;
        }
    }

    /** Takes parts off the queue until none is left or some part failed for good. */
    private final class Worker implements Runnable {
        private final String digest;
        private final long blobSize;
        private final Http.RangeSource source;
        private final FileChannel channel;
        private final ConcurrentLinkedQueue<Part> todo;
        private final AtomicReference<IOException> failure;
        private final CountDownLatch finished;
        private volatile InputStream current;
        private volatile long lastRead = System.currentTimeMillis();

        Worker(String digest, long blobSize, Http.RangeSource source, FileChannel channel, ConcurrentLinkedQueue<Part> todo,
                AtomicReference<IOException> failure, CountDownLatch finished) {
            this.digest = digest;
            this.blobSize = blobSize;
            this.source = source;
            this.channel = channel;
            this.todo = todo;
            this.failure = failure;
            this.finished = finished;
        }

        @Override
        public void run() {
            try {
                for (Part p; failure.get() == null && (p = todo.poll()) != null; ) {
                    download(p);
                }
            } catch (IOException e) {
                failure.compareAndSet(null, e);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, new IOException("download of " + digest + " failed: " + e, e));
            } finally {
                finished.countDown();
            }
        }

        private void download(Part p) throws IOException {
            int failures = 0;
            byte[] buf = new byte[1 << 16];
            while (!p.done()) {
                if (failure.get() != null) return;
                long before = p.completed.get();
                try (InputStream in = source.open(p.offset + before, p.offset + p.size - 1)) {
                    current = in;
                    lastRead = System.currentTimeMillis();
                    while (!p.done()) {
                        if (failure.get() != null) return;
                        int want = (int) Math.min(buf.length, p.size - p.completed.get());
                        int n = in.read(buf, 0, want);
                        if (n < 0) throw new IOException("the connection closed " + Disk.bytes(p.size - p.completed.get()) + " before the end of the part");
                        write(ByteBuffer.wrap(buf, 0, n), p.offset + p.completed.get());
                        p.completed.addAndGet(n);
                        lastRead = System.currentTimeMillis();
                    }
                } catch (Http.FatalException | Disk.DiskException | InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    if (failure.get() != null) return;
                    failures = p.completed.get() > before ? 1 : failures + 1;
                    if (failures > settings.retries()) {
                        throw new IOException("the download of " + digest + " broke off at " + Disk.bytes(p.offset + p.completed.get()) + " of "
                                + Disk.bytes(blobSize) + " after " + failures + " tries: " + Http.reason(e) + "; pull again to resume", e);
                    }
                    LOG.log(System.Logger.Level.DEBUG, "retrying a part of " + digest + " after: " + e);
                    pause(failures);
                } finally {
                    current = null;
                }
            }
        }

        private void write(ByteBuffer data, long position) throws IOException {
            long pos = position;
            try {
                while (data.hasRemaining()) {
                    pos += disk.write(channel, data, pos);
                }
            } catch (IOException e) {
                throw disk.writeFailed(digest, blobs.dir(), e, "free some space and pull again to resume");
            }
        }

        private void pause(int failures) throws InterruptedIOException {
            long ms = settings.backoff().toMillis() << Math.min(failures - 1, 4);
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the pull was cancelled");
            }
        }

        /** Closes a connection that sent nothing for the stall limit; the read fails and the part is retried. */
        void dropIfStalled(long now) {
            InputStream in = current;
            if (in != null && now - lastRead > settings.stall().toMillis()) {
                LOG.log(System.Logger.Level.INFO, "no data for " + settings.stall().toSeconds() + " s on " + digest + "; reconnecting");
                lastRead = now;
                closeQuietly(in);
            }
        }

        void drop() {
            InputStream in = current;
            if (in != null) closeQuietly(in);
        }

        private static void closeQuietly(InputStream in) {
            try {
                in.close();
            } catch (IOException e) {
                // the reading thread sees its own failure
            }
        }
    }
}
