package dev.mica.mlx;

import dev.mica.mlx.ffm.Mlx;
import dev.mica.mlx.ffm.MlxLibrary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * libmlxc and the one thread that calls it. MLX keeps its default stream per thread, so every
 * call, from loading weights to reading logits, runs here; callers on other threads wait.
 */
final class MlxRuntime implements AutoCloseable {
    private final ExecutorService executor;
    private volatile Thread thread;
    private final Mlx mlx;
    private final boolean gpu;
    private final String device;
    private final Map<String, String> gpuInfo;
    private final MetalKernels metalKernels;

    private MlxRuntime(String folder) throws MlxLibrary.Unavailable {
        var lookup = MlxLibrary.load(folder);
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "mica-mlx");
            t.setDaemon(true);
            thread = t;
            return t;
        });
        try {
            mlx = call(() -> new Mlx(lookup));
            gpu = call(mlx::metalAvailable);
            call(() -> {
                mlx.useGpu(gpu);
                return null;
            });
            gpuInfo = gpu ? call(() -> mlx.deviceInfo(true, List.of("architecture", "device_name", "memory_size",
                    "max_recommended_working_set_size"))) : Map.of();
            // Off unless MLX runs on Metal; mica.mlx.metal.kernels=false keeps MLX's own kernels there too.
            boolean custom = gpu && !"false".equals(System.getProperty("mica.mlx.metal.kernels"));
            metalKernels = custom ? call(() -> new MetalKernels(mlx)) : null;
            String version = call(mlx::version);
            device = gpu ? Metal.describe(gpuInfo) + ", MLX " + version : "CPU, MLX " + version;
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw new MlxLibrary.Unavailable("cannot start MLX from " + folder + ": " + e.getMessage());
        }
    }

    static MlxRuntime start(String folder) throws MlxLibrary.Unavailable {
        return new MlxRuntime(folder);
    }

    Mlx mlx() {
        return mlx;
    }

    boolean gpu() {
        return gpu;
    }

    Map<String, String> gpuInfo() {
        return gpuInfo;
    }

    String device() {
        return device;
    }

    /** The custom Metal kernels, or null when MLX does not run on Metal. */
    MetalKernels metalKernels() {
        return metalKernels;
    }

    boolean onThread() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code work} on the MLX thread (directly when already there) and returns its result. */
    <T> T call(Callable<T> work) {
        if (onThread()) {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> f = executor.submit(work);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the MLX thread", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
