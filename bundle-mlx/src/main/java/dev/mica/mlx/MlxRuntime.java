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
    private final ExpertKernel.Gpu gpuKind;
    private final String device;
    private final String route;
    private final Map<String, String> gpuInfo;
    private final MetalKernels metalKernels;
    private final ExpertKernel expertKernel;

    /** Custom kernels are on unless {@code mica.mlx.kernels=false} (or the older {@code mica.mlx.metal.kernels=false}). */
    static boolean customKernelsEnabled() {
        return !"false".equalsIgnoreCase(System.getProperty("mica.mlx.kernels", "").strip())
                && !"false".equalsIgnoreCase(System.getProperty("mica.mlx.metal.kernels", "").strip());
    }

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
            boolean metal = call(mlx::metalAvailable);
            boolean cuda = !metal && call(mlx::cudaAvailable);
            gpuKind = metal ? ExpertKernel.Gpu.METAL : cuda ? ExpertKernel.Gpu.CUDA : ExpertKernel.Gpu.NONE;
            gpu = gpuKind != ExpertKernel.Gpu.NONE;
            call(() -> {
                mlx.useGpu(gpu);
                return null;
            });
            gpuInfo = gpu ? call(() -> mlx.deviceInfo(true, List.of("architecture", "device_name", "memory_size",
                    "max_recommended_working_set_size", "compute_capability_major", "compute_capability_minor"))) : Map.of();
            // Off unless MLX runs on a GPU (MLX refuses custom kernels on the CPU stream); the switch turns them off there too.
            boolean custom = gpu && customKernelsEnabled();
            metalKernels = custom && metal ? call(() -> new MetalKernels(mlx)) : null;
            List<ExpertKernel.Variant> variants = custom
                    ? ExpertKernel.candidates(gpuKind, gpuInfo, System.getProperty("os.name"), System.getProperty("os.version"))
                    : List.of();
            expertKernel = variants.isEmpty() ? null : call(() -> ExpertKernel.start(mlx, variants));
            String version = call(mlx::version);
            String where = switch (gpuKind) {
                case METAL -> Metal.describe(gpuInfo);
                case CUDA -> "CUDA GPU " + gpuInfo.getOrDefault("device_name", "?") + " (" + gpuInfo.getOrDefault("architecture", "architecture unknown") + ")";
                case NONE -> "CPU";
            };
            device = where + ", MLX " + version;
            route = route(where, expertKernel == null ? null : expertKernel.variant()) + ", MLX " + version;
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw new MlxLibrary.Unavailable("cannot start MLX from " + folder + ": " + e.getMessage());
        }
    }

    /**
     * "MLX on CPU", "MLX on Metal GPU Apple M5 (applegpu_g17s, neural accelerators (NAX) possible)
     * + fused nvfp4 expert kernel (tensor ops)", ...: what the status, the log and /api/ps say.
     */
    static String route(String where, ExpertKernel.Variant expertKernel) {
        return "MLX on " + where + (expertKernel == null ? "" : " + fused nvfp4 expert kernel (" + expertKernel.label + ")");
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

    /** The device and MLX's version ("CPU, MLX 0.31.2"), as the device list names it. */
    String device() {
        return device;
    }

    /** Where MLX computes and with which of our kernels, and MLX's version. */
    String route() {
        return route;
    }

    /** The fused NVFP4 expert kernel, or null: always null unless MLX runs on a GPU (Metal or CUDA). */
    ExpertKernel expertKernel() {
        return expertKernel;
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
        if (expertKernel != null) {
            try {
                run(expertKernel::close);
            } catch (RuntimeException e) {
                // the executor may already be gone
            }
        }
        executor.shutdown();
    }
}
