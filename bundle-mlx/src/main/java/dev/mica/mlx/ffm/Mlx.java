package dev.mica.mlx.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * libmlxc, as the backend calls it. Not thread-safe on purpose: MLX's default streams are
 * thread-local, so one dedicated thread makes every call (see {@code MlxThread}); the result slot
 * and scratch structs here are reused call after call on that thread.
 *
 * <p>Ops are called by name through {@link #op}: {@code int mlx_xxx(mlx_array* res, args..., mlx_stream s)}
 * has one shape, so one generic path (checked return code, MLX's message on failure) serves all.
 */
public final class Mlx {
    /**
     * {@code struct { void* ctx; }} by value: on SysV x86-64 and AAPCS64 (the platforms MLX runs on)
     * it travels exactly as a pointer does, in one integer register, both as argument and result.
     */
    public static final MemoryLayout H = ADDRESS;
    static final StructLayout OPT_INT = MemoryLayout.structLayout(JAVA_INT, JAVA_BOOLEAN, MemoryLayout.paddingLayout(3));
    static final StructLayout OPT_FLOAT = MemoryLayout.structLayout(JAVA_FLOAT, JAVA_BOOLEAN, MemoryLayout.paddingLayout(3));

    // mlx_dtype
    public static final int BOOL = 0, UINT8 = 1, UINT16 = 2, UINT32 = 3, INT8 = 5, INT32 = 7, FLOAT16 = 9, FLOAT32 = 10, BFLOAT16 = 12;

    private static final Linker LINKER = Linker.nativeLinker();
    /** The last message MLX gave the error handler; only the MLX thread calls, so one slot suffices. */
    private static volatile String lastError = "unknown MLX error";

    private final SymbolLookup lib;
    private final Map<String, MethodHandle> ops = new HashMap<>();
    private final Map<String, MethodHandle> calls = new HashMap<>();
    private final Map<String, MemorySegment> cstrings = new HashMap<>();
    private final MemorySegment out = Arena.global().allocate(ADDRESS);
    private final MemorySegment optA = Arena.global().allocate(OPT_INT);
    private final MemorySegment optB = Arena.global().allocate(OPT_INT);
    private final MemorySegment optF = Arena.global().allocate(OPT_FLOAT);
    private final MemorySegment optD = Arena.global().allocate(OPT_INT);
    private MemorySegment stream = MemorySegment.NULL;

    public Mlx(SymbolLookup lib) {
        this.lib = lib;
        // First of all: mlx-c's default handler calls exit(-1), which would take the JVM down.
        call("mlx_set_error_handler", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
        invoke("mlx_set_error_handler", handlerStub(), MemorySegment.NULL, MemorySegment.NULL);

        opDef("mlx_add", H, H); opDef("mlx_subtract", H, H); opDef("mlx_multiply", H, H); opDef("mlx_divide", H, H);
        opDef("mlx_logaddexp", H, H); opDef("mlx_matmul", H, H); opDef("mlx_floor_divide", H, H);
        for (String u : List.of("mlx_sigmoid", "mlx_exp", "mlx_tanh", "mlx_negative", "mlx_square")) opDef(u, H);
        opDef("mlx_reshape", H, ADDRESS, JAVA_LONG);
        opDef("mlx_transpose_axes", H, ADDRESS, JAVA_LONG);
        opDef("mlx_swapaxes", H, JAVA_INT, JAVA_INT);
        opDef("mlx_slice", H, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG);
        opDef("mlx_concatenate_axis", H, JAVA_INT);
        opDef("mlx_take_axis", H, H, JAVA_INT);
        opDef("mlx_take_along_axis", H, H, JAVA_INT);
        opDef("mlx_sum_axis", H, JAVA_INT, JAVA_BOOLEAN);
        opDef("mlx_softmax_axis", H, JAVA_INT, JAVA_BOOLEAN);
        opDef("mlx_argpartition_axis", H, JAVA_INT, JAVA_INT);
        opDef("mlx_argsort_axis", H, JAVA_INT);
        opDef("mlx_astype", H, JAVA_INT);
        opDef("mlx_contiguous", H, JAVA_BOOLEAN);
        opDef("mlx_expand_dims", H, JAVA_INT);
        opDef("mlx_squeeze_axis", H, JAVA_INT);
        opDef("mlx_quantized_matmul", H, H, H, H, JAVA_BOOLEAN, OPT_INT, OPT_INT, ADDRESS);
        opDef("mlx_gather_mm", H, H, H, H, JAVA_BOOLEAN);
        opDef("mlx_gather_qmm", H, H, H, H, H, H, JAVA_BOOLEAN, OPT_INT, OPT_INT, ADDRESS, JAVA_BOOLEAN);
        opDef("mlx_dequantize", H, H, H, OPT_INT, OPT_INT, ADDRESS, H, OPT_INT);
        opDef("mlx_quantize", H, OPT_INT, OPT_INT, ADDRESS, H);   // the result is an mlx_vector_array: unpack it
        opDef("mlx_fast_rms_norm", H, H, JAVA_FLOAT);
        opDef("mlx_fast_rope", H, JAVA_INT, JAVA_BOOLEAN, OPT_FLOAT, JAVA_FLOAT, JAVA_INT, H);
        opDef("mlx_fast_scaled_dot_product_attention", H, H, H, JAVA_FLOAT, ADDRESS, H, H);

        call("mlx_version", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        call("mlx_string_new", FunctionDescriptor.of(H));
        call("mlx_string_data", FunctionDescriptor.of(ADDRESS, H));
        call("mlx_string_free", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_default_cpu_stream_new", FunctionDescriptor.of(H));
        call("mlx_default_gpu_stream_new", FunctionDescriptor.of(H));
        call("mlx_metal_is_available", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        call("mlx_device_new_type", FunctionDescriptor.of(H, JAVA_INT, JAVA_INT));
        call("mlx_device_free", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_device_info_new", FunctionDescriptor.of(H));
        call("mlx_device_info_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, H));
        call("mlx_device_info_free", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_device_info_has_key", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, ADDRESS));
        call("mlx_device_info_is_string", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, ADDRESS));
        call("mlx_device_info_get_string", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, ADDRESS));
        call("mlx_device_info_get_size", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, ADDRESS));
        call("mlx_set_memory_limit", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        call("mlx_get_memory_limit", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        call("mlx_get_active_memory", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        call("mlx_get_peak_memory", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        call("mlx_clear_cache", FunctionDescriptor.of(JAVA_INT));
        call("mlx_array_new_data", FunctionDescriptor.of(H, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        call("mlx_array_new_float32", FunctionDescriptor.of(H, JAVA_FLOAT));
        call("mlx_array_free", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_array_ndim", FunctionDescriptor.of(JAVA_LONG, H));
        call("mlx_array_shape", FunctionDescriptor.of(ADDRESS, H));
        call("mlx_array_dtype", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_array_size", FunctionDescriptor.of(JAVA_LONG, H));
        call("mlx_array_eval", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_array_nbytes", FunctionDescriptor.of(JAVA_LONG, H));
        call("mlx_array_data_float32", FunctionDescriptor.of(ADDRESS, H));
        call("mlx_array_data_int32", FunctionDescriptor.of(ADDRESS, H));
        call("mlx_array_data_uint32", FunctionDescriptor.of(ADDRESS, H));
        call("mlx_vector_array_new", FunctionDescriptor.of(H));
        call("mlx_vector_array_append_value", FunctionDescriptor.of(JAVA_INT, H, H));
        call("mlx_vector_array_size", FunctionDescriptor.of(JAVA_LONG, H));
        call("mlx_vector_array_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, JAVA_LONG));
        call("mlx_vector_array_free", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_eval", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_async_eval", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_vector_string_new", FunctionDescriptor.of(H));
        call("mlx_vector_string_append_value", FunctionDescriptor.of(JAVA_INT, H, ADDRESS));
        call("mlx_vector_string_free", FunctionDescriptor.of(JAVA_INT, H));
        call("mlx_fast_metal_kernel_new", FunctionDescriptor.of(H, ADDRESS, H, H, ADDRESS, ADDRESS, JAVA_BOOLEAN, JAVA_BOOLEAN));
        call("mlx_fast_metal_kernel_free", FunctionDescriptor.ofVoid(H));
        call("mlx_fast_metal_kernel_config_new", FunctionDescriptor.of(H));
        call("mlx_fast_metal_kernel_config_free", FunctionDescriptor.ofVoid(H));
        call("mlx_fast_metal_kernel_config_add_output_arg", FunctionDescriptor.of(JAVA_INT, H, ADDRESS, JAVA_LONG, JAVA_INT));
        call("mlx_fast_metal_kernel_config_set_grid", FunctionDescriptor.of(JAVA_INT, H, JAVA_INT, JAVA_INT, JAVA_INT));
        call("mlx_fast_metal_kernel_config_set_thread_group", FunctionDescriptor.of(JAVA_INT, H, JAVA_INT, JAVA_INT, JAVA_INT));
        call("mlx_fast_metal_kernel_config_add_template_arg_dtype", FunctionDescriptor.of(JAVA_INT, H, ADDRESS, JAVA_INT));
        call("mlx_fast_metal_kernel_config_add_template_arg_int", FunctionDescriptor.of(JAVA_INT, H, ADDRESS, JAVA_INT));
        call("mlx_fast_metal_kernel_apply", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, H, H, H));
        // the CUDA counterpart (mlx-c 0.6.0 has it; only an MLX built with CUDA runs it)
        call("mlx_cuda_is_available", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        call("mlx_fast_cuda_kernel_new", FunctionDescriptor.of(H, ADDRESS, H, H, ADDRESS, ADDRESS, JAVA_BOOLEAN, JAVA_INT));
        call("mlx_fast_cuda_kernel_free", FunctionDescriptor.ofVoid(H));
        call("mlx_fast_cuda_kernel_config_new", FunctionDescriptor.of(H));
        call("mlx_fast_cuda_kernel_config_free", FunctionDescriptor.ofVoid(H));
        call("mlx_fast_cuda_kernel_config_add_output_arg", FunctionDescriptor.of(JAVA_INT, H, ADDRESS, JAVA_LONG, JAVA_INT));
        call("mlx_fast_cuda_kernel_config_set_grid", FunctionDescriptor.of(JAVA_INT, H, JAVA_INT, JAVA_INT, JAVA_INT));
        call("mlx_fast_cuda_kernel_config_set_thread_group", FunctionDescriptor.of(JAVA_INT, H, JAVA_INT, JAVA_INT, JAVA_INT));
        call("mlx_fast_cuda_kernel_config_add_template_arg_dtype", FunctionDescriptor.of(JAVA_INT, H, ADDRESS, JAVA_INT));
        call("mlx_fast_cuda_kernel_config_add_template_arg_int", FunctionDescriptor.of(JAVA_INT, H, ADDRESS, JAVA_INT));
        call("mlx_fast_cuda_kernel_apply", FunctionDescriptor.of(JAVA_INT, ADDRESS, H, H, H, H));
    }

    // ---------------------------------------------------------------- error handler

    private static MemorySegment handlerStub() {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(Mlx.class, "onError",
                    MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class));
            // The global arena: MLX keeps the pointer for the life of the process.
            return LINKER.upcallStub(target, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Called by mlx-c before a failing call returns 1. Must not throw: an upcall that throws ends the JVM. */
    @SuppressWarnings("unused")
    private static void onError(MemorySegment message, MemorySegment data) {
        try {
            lastError = message.equals(MemorySegment.NULL) ? "MLX error" : message.reinterpret(1 << 16).getString(0);
        } catch (Throwable t) {
            lastError = "MLX error (message unreadable)";
        }
    }

    // ---------------------------------------------------------------- binding machinery

    private void opDef(String name, MemoryLayout... args) {
        MemoryLayout[] all = new MemoryLayout[args.length + 2];
        all[0] = ADDRESS;
        System.arraycopy(args, 0, all, 1, args.length);
        all[all.length - 1] = H;
        ops.put(name, LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(JAVA_INT, all)));
    }

    private void call(String name, FunctionDescriptor fd) {
        lib.find(name).ifPresent(s -> calls.put(name, LINKER.downcallHandle(s, fd)));
    }

    private MemorySegment symbol(String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException("libmlxc has no " + name + ": not mlx-c 0.6?"));
    }

    public boolean has(String function) {
        return calls.containsKey(function) || ops.containsKey(function);
    }

    /** A plain C call by name. */
    public Object invoke(String name, Object... args) {
        MethodHandle h = calls.get(name);
        if (h == null) throw new MlxException("libmlxc has no " + name);
        try {
            return h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A C call returning mlx-c's status code, checked. */
    public void check(String name, Object... args) {
        if ((int) invoke(name, args) != 0) throw new MlxException(name + ": " + lastError);
    }

    /**
     * {@code name(res, args..., stream)}: a new array handle the caller owns (and frees).
     * Arguments are array handles ({@link MemorySegment}), ints, floats, booleans, as declared.
     */
    public MemorySegment op(String name, Object... args) {
        MethodHandle h = ops.get(name);
        if (h == null) throw new MlxException("op " + name + " is not bound");
        Object[] all = new Object[args.length + 2];
        out.set(ADDRESS, 0, MemorySegment.NULL);
        all[0] = out;
        System.arraycopy(args, 0, all, 1, args.length);
        all[all.length - 1] = stream;
        int rc;
        try {
            rc = (int) h.invokeWithArguments(all);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw new MlxException(name.substring(4) + ": " + lastError);
        return out.get(ADDRESS, 0);
    }

    public MemorySegment optInt(boolean second, int value) {
        MemorySegment s = second ? optB : optA;
        s.set(JAVA_INT, 0, value);
        s.set(JAVA_BOOLEAN, 4, true);
        return s;
    }

    public MemorySegment optDtype(int dtype) {
        optD.set(JAVA_INT, 0, dtype);
        optD.set(JAVA_BOOLEAN, 4, true);
        return optD;
    }

    /** An absent optional float (e.g. RoPE's base when explicit frequencies are given). */
    public MemorySegment optFloat(Float value) {
        optF.set(JAVA_FLOAT, 0, value == null ? 0f : value);
        optF.set(JAVA_BOOLEAN, 4, value != null);
        return optF;
    }

    /** A constant C string, allocated once. */
    public MemorySegment cstring(String s) {
        return cstrings.computeIfAbsent(s, k -> Arena.global().allocateFrom(k));
    }

    // ---------------------------------------------------------------- streams, devices, memory

    public void useGpu(boolean gpu) {
        stream = (MemorySegment) invoke(gpu ? "mlx_default_gpu_stream_new" : "mlx_default_cpu_stream_new");
    }

    /** The stream ops run on (the default CPU or GPU stream of the MLX thread). */
    public MemorySegment stream() {
        return stream;
    }

    public String version() {
        MemorySegment str = (MemorySegment) invoke("mlx_string_new");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment slot = a.allocate(ADDRESS);
            slot.set(ADDRESS, 0, str);
            check("mlx_version", slot);
            str = slot.get(ADDRESS, 0);
            return ((MemorySegment) invoke("mlx_string_data", str)).reinterpret(256).getString(0);
        } finally {
            invoke("mlx_string_free", str);
        }
    }

    public boolean metalAvailable() {
        if (!calls.containsKey("mlx_metal_is_available")) return false;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(JAVA_BOOLEAN);
            check("mlx_metal_is_available", b);
            return b.get(JAVA_BOOLEAN, 0);
        }
    }

    /** Whether this MLX was built with CUDA and sees a CUDA device (false where libmlxc lacks the call). */
    public boolean cudaAvailable() {
        if (!calls.containsKey("mlx_cuda_is_available")) return false;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(JAVA_BOOLEAN);
            check("mlx_cuda_is_available", b);
            return b.get(JAVA_BOOLEAN, 0);
        }
    }

    /** {@code mlx_device_info} of the GPU (type 1) or CPU (type 0): string and size entries, as text. */
    public Map<String, String> deviceInfo(boolean gpu, List<String> keys) {
        Map<String, String> result = new HashMap<>();
        MemorySegment dev = (MemorySegment) invoke("mlx_device_new_type", gpu ? 1 : 0, 0);
        MemorySegment info = (MemorySegment) invoke("mlx_device_info_new");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment slot = a.allocate(ADDRESS);
            slot.set(ADDRESS, 0, info);
            check("mlx_device_info_get", slot, dev);
            info = slot.get(ADDRESS, 0);
            MemorySegment flag = a.allocate(JAVA_BOOLEAN);
            MemorySegment value = a.allocate(JAVA_LONG);
            for (String key : keys) {
                MemorySegment k = a.allocateFrom(key);
                check("mlx_device_info_has_key", flag, info, k);
                if (!flag.get(JAVA_BOOLEAN, 0)) continue;
                check("mlx_device_info_is_string", flag, info, k);
                if (flag.get(JAVA_BOOLEAN, 0)) {
                    check("mlx_device_info_get_string", value, info, k);
                    result.put(key, value.get(ADDRESS, 0).reinterpret(4096).getString(0));
                } else {
                    check("mlx_device_info_get_size", value, info, k);
                    result.put(key, Long.toString(value.get(JAVA_LONG, 0)));
                }
            }
        } finally {
            invoke("mlx_device_info_free", info);
            invoke("mlx_device_free", dev);
        }
        return result;
    }

    public long memory(String function) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check(function, v);
            return v.get(JAVA_LONG, 0);
        }
    }

    /** Sets MLX's memory limit (bytes); returns the previous one. */
    public long setMemoryLimit(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check("mlx_set_memory_limit", v, bytes);
            return v.get(JAVA_LONG, 0);
        }
    }

    // ---------------------------------------------------------------- arrays

    private final MemorySegment[] scratch = new MemorySegment[4];
    private int nextScratch;

    /**
     * Ints copied into one of a few rotating off-heap buffers: enough for the shape, start, stop and
     * stride arguments of one call, valid until four more calls to this method.
     */
    public MemorySegment scratchInts(int[] values) {
        int i = nextScratch++ & 3;
        if (scratch[i] == null || scratch[i].byteSize() < 4L * values.length) {
            scratch[i] = Arena.global().allocate(4L * Math.max(16, values.length), 8);
        }
        MemorySegment.copy(values, 0, scratch[i], JAVA_INT, 0, values.length);
        return scratch[i];
    }

    /** A new array holding a copy of {@code data} (heap data is staged off-heap: downcalls take none). */
    public MemorySegment array(MemorySegment data, int[] shape, int dtype) {
        try (Arena a = Arena.ofConfined()) {
            if (!data.isNative()) data = a.allocate(data.byteSize(), 16).copyFrom(data);
            MemorySegment dims = a.allocateFrom(JAVA_INT, shape);
            MemorySegment h = (MemorySegment) invoke("mlx_array_new_data", data, dims, shape.length, dtype);
            if (h.equals(MemorySegment.NULL)) throw new MlxException("mlx_array_new_data: " + lastError);
            return h;
        }
    }

    public MemorySegment scalar(float value) {
        return (MemorySegment) invoke("mlx_array_new_float32", value);
    }

    public void free(MemorySegment array) {
        if (array != null && !array.equals(MemorySegment.NULL)) invoke("mlx_array_free", array);
    }

    public int[] shape(MemorySegment array) {
        int n = (int) (long) invoke("mlx_array_ndim", array);
        if (n == 0) return new int[0];
        return ((MemorySegment) invoke("mlx_array_shape", array)).reinterpret(4L * n).toArray(JAVA_INT);
    }

    public int dtype(MemorySegment array) {
        return (int) invoke("mlx_array_dtype", array);
    }

    public long nbytes(MemorySegment array) {
        return (long) invoke("mlx_array_nbytes", array);
    }

    /** Evaluates all of these arrays together (one graph, shared work computed once). */
    public void eval(List<MemorySegment> arrays) {
        MemorySegment vec = vector(arrays);
        try {
            check("mlx_eval", vec);
        } finally {
            invoke("mlx_vector_array_free", vec);
        }
    }

    /** A new {@code mlx_vector_array} holding these arrays (its own references: free it, not them). */
    public MemorySegment vector(List<MemorySegment> arrays) {
        MemorySegment vec = (MemorySegment) invoke("mlx_vector_array_new");
        for (MemorySegment a : arrays) check("mlx_vector_array_append_value", vec, a);
        return vec;
    }

    /** The arrays of a vector, as new handles. */
    public List<MemorySegment> unpack(MemorySegment vec) {
        int n = (int) (long) invoke("mlx_vector_array_size", vec);
        List<MemorySegment> list = new ArrayList<>(n);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment slot = a.allocate(ADDRESS);
            for (int i = 0; i < n; i++) {
                slot.set(ADDRESS, 0, MemorySegment.NULL);
                check("mlx_vector_array_get", slot, vec, (long) i);
                list.add(slot.get(ADDRESS, 0));
            }
        }
        return list;
    }

    /**
     * The elements of an evaluated array as floats, row-major. Converted to float32 and made
     * contiguous first: a transposed or sliced view's buffer is strided, and bf16/f16 accessors are
     * not exported on x86.
     */
    public float[] floats(MemorySegment array) {
        MemorySegment f = dtype(array) == FLOAT32 ? op("mlx_contiguous", array, false) : null;
        if (f == null) {
            MemorySegment cast = op("mlx_astype", array, FLOAT32);
            f = op("mlx_contiguous", cast, false);
            free(cast);
        }
        try {
            check("mlx_array_eval", f);
            long n = (long) invoke("mlx_array_size", f);
            return ((MemorySegment) invoke("mlx_array_data_float32", f)).reinterpret(4 * n).toArray(JAVA_FLOAT);
        } finally {
            free(f);
        }
    }

    /** As {@link #floats}, for integer arrays. */
    public int[] ints(MemorySegment array) {
        MemorySegment cast = op("mlx_astype", array, INT32);
        MemorySegment f = op("mlx_contiguous", cast, false);
        free(cast);
        try {
            check("mlx_array_eval", f);
            long n = (long) invoke("mlx_array_size", f);
            return ((MemorySegment) invoke("mlx_array_data_int32", f)).reinterpret(4 * n).toArray(JAVA_INT);
        } finally {
            free(f);
        }
    }
}
