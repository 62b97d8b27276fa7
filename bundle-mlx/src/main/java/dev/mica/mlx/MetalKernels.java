package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.ADDRESS;

import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Custom Metal kernels, compiled by MLX at run time ({@code mlx_fast_metal_kernel_*}), for ops
 * MLX's own kernels do not fuse. One so far: SiLU in one pass instead of sigmoid then multiply.
 * The grid is exactly one thread per element (MLX dispatches non-uniform grids), so the body needs no
 * bounds check. Used only when MLX runs on the GPU; NEVER EXECUTED on the machines this was written on (Linux,
 * no Metal), see README.md. The MLX thread only.
 */
final class MetalKernels implements AutoCloseable {
    private static final String SILU = """
            uint i = thread_position_in_grid.x;
            T v = x[i];
            out[i] = v / (T(1) + metal::exp(-v));
            """;

    private final Mlx mlx;
    private final MemorySegment silu;

    MetalKernels(Mlx mlx) {
        this.mlx = mlx;
        MemorySegment in = (MemorySegment) mlx.invoke("mlx_vector_string_new");
        MemorySegment out = (MemorySegment) mlx.invoke("mlx_vector_string_new");
        try {
            mlx.check("mlx_vector_string_append_value", in, mlx.cstring("x"));
            mlx.check("mlx_vector_string_append_value", out, mlx.cstring("out"));
            silu = (MemorySegment) mlx.invoke("mlx_fast_metal_kernel_new", mlx.cstring("mica_silu"), in, out, mlx.cstring(SILU),
                    mlx.cstring(""), true, false);
        } finally {
            mlx.invoke("mlx_vector_string_free", in);
            mlx.invoke("mlx_vector_string_free", out);
        }
    }

    /** x · sigmoid(x), float32, any shape; a new array the caller owns. */
    MemorySegment silu(MemorySegment x, int[] shape) {
        long size = 1;
        for (int d : shape) size *= d;
        MemorySegment config = (MemorySegment) mlx.invoke("mlx_fast_metal_kernel_config_new");
        MemorySegment inputs = mlx.vector(List.of(x));
        try (Arena a = Arena.ofConfined()) {
            mlx.check("mlx_fast_metal_kernel_config_add_output_arg", config, a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, shape),
                    (long) shape.length, Mlx.FLOAT32);
            mlx.check("mlx_fast_metal_kernel_config_set_grid", config, (int) size, 1, 1);
            mlx.check("mlx_fast_metal_kernel_config_set_thread_group", config, (int) Math.min(256, size), 1, 1);
            mlx.check("mlx_fast_metal_kernel_config_add_template_arg_dtype", config, mlx.cstring("T"), Mlx.FLOAT32);
            MemorySegment outputs = a.allocate(ADDRESS);
            outputs.set(ADDRESS, 0, (MemorySegment) mlx.invoke("mlx_vector_array_new"));
            mlx.check("mlx_fast_metal_kernel_apply", outputs, silu, inputs, config, mlx.stream());
            MemorySegment vec = outputs.get(ADDRESS, 0);
            try {
                return mlx.unpack(vec).getFirst();
            } finally {
                mlx.invoke("mlx_vector_array_free", vec);
            }
        } finally {
            mlx.invoke("mlx_vector_array_free", inputs);
            mlx.invoke("mlx_fast_metal_kernel_config_free", config);
        }
    }

    @Override
    public void close() {
        mlx.invoke("mlx_fast_metal_kernel_free", silu);
    }
}
