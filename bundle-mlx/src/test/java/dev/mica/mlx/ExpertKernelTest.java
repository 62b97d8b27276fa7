package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mica.mlx.ExpertKernel.Gpu;
import dev.mica.mlx.ExpertKernel.TemplateArg;
import dev.mica.mlx.ExpertKernel.Variant;
import dev.mica.mlx.ffm.Mlx;
import java.io.File;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused NVFP4 expert kernel without a GPU (runs everywhere, no libmlxc): which variant a device
 * gets, what one call passes MLX, and that the kernel sources are well-formed resources. The Metal
 * sources are never compiled here; the CUDA source is compiled (not run) by nvcc where one is on the PATH.
 */
class ExpertKernelTest {
    /** The attributes MLX's metal_kernel adds to the signature when the body names them (mlx/backend/common/metal_kernel.cpp). */
    private static final Set<String> METAL_ATTRIBUTES = Set.of("dispatch_quadgroups_per_threadgroup", "dispatch_simdgroups_per_threadgroup",
            "dispatch_threads_per_threadgroup", "grid_origin", "grid_size", "quadgroup_index_in_threadgroup", "quadgroups_per_threadgroup",
            "simdgroup_index_in_threadgroup", "simdgroups_per_threadgroup", "thread_execution_width", "thread_index_in_quadgroup",
            "thread_index_in_simdgroup", "thread_index_in_threadgroup", "thread_position_in_grid", "thread_position_in_threadgroup",
            "threadgroup_position_in_grid", "threadgroups_per_grid", "threads_per_grid", "threads_per_simdgroup", "threads_per_threadgroup");

    @Test
    void variantsFollowTheDevice() {
        Map<String, String> m5 = Map.of("architecture", "applegpu_g17s", "device_name", "Apple M5");
        assertEquals(List.of(Variant.TENSOR_OPS, Variant.SIMDGROUP), ExpertKernel.candidates(Gpu.METAL, m5, "Mac OS X", "26.2"));
        assertEquals(List.of(Variant.SIMDGROUP), ExpertKernel.candidates(Gpu.METAL, m5, "Mac OS X", "26.1"), "M5 before macOS 26.2");
        assertEquals(List.of(Variant.SIMDGROUP), ExpertKernel.candidates(Gpu.METAL, Map.of("architecture", "applegpu_g15s"), "Mac OS X", "26.3"));
        assertEquals(List.of(Variant.SIMDGROUP), ExpertKernel.candidates(Gpu.METAL, Map.of(), "Mac OS X", "26.3"), "architecture unknown");
        assertEquals(List.of(Variant.CUDA), ExpertKernel.candidates(Gpu.CUDA, Map.of("architecture", "sm_90"), "Linux", "6.8"));
        assertEquals(List.of(Variant.CUDA), ExpertKernel.candidates(Gpu.CUDA, Map.of("compute_capability_major", "8"), "Linux", "6.8"));
        assertEquals(List.of(), ExpertKernel.candidates(Gpu.CUDA, Map.of("architecture", "sm_75"), "Linux", "6.8"), "before sm_80");
        assertEquals(List.of(), ExpertKernel.candidates(Gpu.NONE, m5, "Mac OS X", "26.2"), "the CPU route never gets a kernel");
        assertEquals(List.of(), ExpertKernel.candidates(Gpu.NONE, Map.of(), "Linux", "6.8"));
        assertEquals(89, ExpertKernel.smVersion(Map.of("architecture", "sm_89")));
        assertEquals(100, ExpertKernel.smVersion(Map.of("architecture", "sm_100a")));
        assertEquals(-1, ExpertKernel.smVersion(Map.of()));
    }

    @Test
    void onlyNvfp4PrefillWithWholeSlicesIsEligible() {
        MemorySegment s = MemorySegment.NULL;
        MlxTensor.Quant nv = new MlxTensor.Quant(s, null, 16, 4, "nvfp4");
        assertTrue(ExpertKernel.eligible(nv, 2048, 768, 64));
        assertTrue(ExpertKernel.eligible(nv, 96, 40, 1000));
        assertFalse(ExpertKernel.eligible(nv, 2048, 768, 63), "decode-sized steps keep gather_qmm");
        assertFalse(ExpertKernel.eligible(nv, 48, 768, 640), "K not a multiple of BK");
        assertFalse(ExpertKernel.eligible(new MlxTensor.Quant(s, null, 32, 4, "mxfp4"), 2048, 768, 640));
        assertFalse(ExpertKernel.eligible(new MlxTensor.Quant(s, s, 64, 4, "affine"), 2048, 768, 640));
        assertFalse(ExpertKernel.eligible(null, 2048, 768, 640));
    }

    @Test
    void launchArithmetic() {
        ExpertKernel.Launch l = ExpertKernel.plan(150, 2048, 768, Mlx.FLOAT32);
        assertArrayEquals(new int[] {24 * 128, 5, 1}, l.grid(), "ceil(768/32) column tiles of 128 threads × ceil(150/32) row tiles");
        assertArrayEquals(new int[] {128, 1, 1}, l.threadgroup());
        assertArrayEquals(new int[] {150, 768}, l.outShape());
        assertEquals(Mlx.FLOAT32, l.outDtype());
        assertEquals(List.of(TemplateArg.dtype("T", Mlx.FLOAT32), TemplateArg.integer("K", 2048), TemplateArg.integer("N", 768),
                TemplateArg.integer("BM", 32), TemplateArg.integer("BN", 32), TemplateArg.integer("BK", 32)), l.templateArgs());
        ExpertKernel.Launch ragged = ExpertKernel.plan(64, 96, 40, Mlx.FLOAT16);
        assertArrayEquals(new int[] {2 * 128, 2, 1}, ragged.grid(), "a partial column tile (40 = 32 + 8)");
        assertEquals(TemplateArg.dtype("T", Mlx.FLOAT16), ragged.templateArgs().getFirst());
        assertArrayEquals(new int[] {1 * 128, 1, 1}, ExpertKernel.plan(1, 32, 1, Mlx.FLOAT32).grid());
        assertThrows(IllegalArgumentException.class, () -> ExpertKernel.plan(10, 48, 8, Mlx.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> ExpertKernel.plan(0, 32, 8, Mlx.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> ExpertKernel.plan(65536 * 32 + 1, 32, 8, Mlx.FLOAT32), "grid y limit");
    }

    @Test
    void theRouteSaysWhichKernelRuns() {
        assertEquals("MLX on CPU", MlxRuntime.route("CPU", null));
        assertEquals("MLX on Metal GPU Apple M5 (applegpu_g17s, neural accelerators (NAX) possible) + fused nvfp4 expert kernel (tensor ops)",
                MlxRuntime.route(Metal.describe(Map.of("device_name", "Apple M5", "architecture", "applegpu_g17s"), "Mac OS X", "26.2"),
                        Variant.TENSOR_OPS));
        assertEquals("MLX on Metal GPU Apple M2 (applegpu_g14g, no NAX) + fused nvfp4 expert kernel (simdgroup)",
                MlxRuntime.route(Metal.describe(Map.of("device_name", "Apple M2", "architecture", "applegpu_g14g"), "Mac OS X", "15.5"),
                        Variant.SIMDGROUP));
        assertEquals("MLX on CUDA GPU H100 (sm_90) + fused nvfp4 expert kernel (cuda)", MlxRuntime.route("CUDA GPU H100 (sm_90)", Variant.CUDA));
    }

    @Test
    void theSwitchTurnsCustomKernelsOff() {
        String before = System.getProperty("mica.mlx.kernels"), legacy = System.getProperty("mica.mlx.metal.kernels");
        try {
            System.clearProperty("mica.mlx.kernels");
            System.clearProperty("mica.mlx.metal.kernels");
            assertTrue(MlxRuntime.customKernelsEnabled());
            System.setProperty("mica.mlx.kernels", "false");
            assertFalse(MlxRuntime.customKernelsEnabled());
            System.clearProperty("mica.mlx.kernels");
            System.setProperty("mica.mlx.metal.kernels", "false");
            assertFalse(MlxRuntime.customKernelsEnabled(), "the older switch still works");
        } finally {
            restore("mica.mlx.kernels", before);
            restore("mica.mlx.metal.kernels", legacy);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    // ---------------------------------------------------------------- the sources

    @ParameterizedTest
    @EnumSource(Variant.class)
    void sourcesAreWellFormedResources(Variant v) {
        ExpertKernel.Source src = ExpertKernel.source(v);
        assertFalse(src.body().isBlank());
        assertFalse(src.header().isBlank());
        balanced(src.header(), v + " header");
        balanced(src.body(), v + " body");
        String body = stripComments(src.body());
        for (String name : ExpertKernel.INPUTS) assertTrue(identifier(body, name), v + " body never reads input " + name);
        for (String name : ExpertKernel.OUTPUTS) assertTrue(identifier(body, name), v + " body never writes output " + name);
        for (TemplateArg t : ExpertKernel.plan(64, 64, 64, Mlx.FLOAT32).templateArgs()) {
            if (!t.name().equals("T")) assertTrue(identifier(body, t.name()), v + " body never uses template argument " + t.name());
        }
        // MLX passes <input>_shape/_strides/_ndim as extra arguments when the body names them: only x's shape here
        for (String name : ExpertKernel.INPUTS) {
            for (String suffix : List.of("_shape", "_strides", "_ndim")) {
                boolean expected = name.equals("x") && suffix.equals("_shape");
                assertEquals(expected, src.body().contains(name + suffix), v + ": " + name + suffix);
            }
        }
        assertFalse(body.contains("[[kernel]]") || body.contains("__global__"), "MLX writes the signature itself");
        if (v.metal()) {
            Matcher m = Pattern.compile("\\b(thread|threadgroup|simdgroup|quadgroup|threads|threadgroups|grid|dispatch)_[a-z_]+\\b").matcher(body);
            while (m.find()) {
                String word = m.group();
                if (word.endsWith("_barrier") || word.startsWith("simdgroup_") && !word.endsWith("_in_threadgroup")) continue;
                assertTrue(METAL_ATTRIBUTES.contains(word), v + " names " + word + ", which MLX would not declare");
            }
            assertTrue(identifier(body, "threadgroup_position_in_grid") && identifier(body, "thread_index_in_threadgroup"));
            assertFalse(body.contains("blockIdx") || body.contains("__syncthreads"));
        } else {
            assertTrue(body.contains("blockIdx") && body.contains("__syncthreads") && body.contains("wmma::mma_sync"));
            assertFalse(body.contains("threadgroup_position_in_grid"));
        }
        boolean mpp = src.header().contains("MetalPerformancePrimitives");
        assertEquals(v == Variant.TENSOR_OPS, mpp, "only the tensor-ops variant needs Metal 4's MetalPerformancePrimitives");
        assertEquals(v == Variant.TENSOR_OPS, body.contains("mpp::tensor_ops::matmul2d"));
        assertEquals(v == Variant.SIMDGROUP, body.contains("simdgroup_multiply_accumulate"));
    }

    @Test
    void sectionsSplitAtMarkers() {
        Map<String, String> s = ExpertKernel.sections("preamble\n// @@header a\nA\n  // @@body b\nB1\nB2\n");
        assertEquals(List.of("header a", "body b"), List.copyOf(s.keySet()));
        assertEquals("A\n", s.get("header a"));
        assertEquals("B1\nB2\n\n", s.get("body b"));
        assertThrows(IllegalStateException.class, () -> ExpertKernel.sections("// @@x\n// @@x\n"));
    }

    /**
     * The CUDA source inside the signature MLX's cuda_kernel writes (mlx/backend/cuda/custom_kernel.cpp,
     * with a stand-in for MLX's device header), compiled for sm_80 by nvcc: a compile, never a run.
     * Skipped where no nvcc is on the PATH.
     */
    @Test
    void cudaSourceCompilesWithNvcc(@TempDir Path dir) throws Exception {
        Path nvcc = null;
        for (String p : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "nvcc"))) {
                nvcc = Path.of(p, "nvcc");
                break;
            }
        }
        assumeTrue(nvcc != null, "skipped: no nvcc on the PATH to compile the CUDA kernel source");
        ExpertKernel.Source src = ExpertKernel.source(Variant.CUDA);
        StringBuilder k = new StringBuilder("""
                #include <cuda/std/array>
                #include <cstdint>
                namespace mlx::core::cu { using Shape = cuda::std::array<int32_t, 10>; }
                #include <cooperative_groups.h>
                """);
        k.append(src.header()).append("namespace mlx::core::cu {\n\nnamespace cg = cooperative_groups;\n\n")
                .append("__global__ void custom_kernel_mica_nvfp4_experts_cuda(\n    const float* x,\n    const __grid_constant__ Shape x_shape,\n")
                .append("    const uint32_t* w,\n    const uint8_t* scales,\n    const int32_t* indices,\n    float* out) {\n");
        for (TemplateArg t : ExpertKernel.plan(100, 2048, 768, Mlx.FLOAT32).templateArgs()) {
            k.append(t.isDtype() ? "  using " + t.name() + " = float;\n" : "  constexpr int " + t.name() + " = " + t.value() + ";\n");
        }
        k.append('\n').append(src.body()).append("\n}\n\n} // namespace mlx::core::cu\n");
        Path file = dir.resolve("kernel.cu");
        Files.writeString(file, k, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(nvcc.toString(), "-std=c++17", "-arch=sm_80", "-c", file.toString(), "-o", dir.resolve("kernel.o").toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nvcc timed out");
        assertEquals(0, p.exitValue(), log);
        assertNotNull(log);
    }

    // ---------------------------------------------------------------- helpers

    private static boolean identifier(String text, String name) {
        return Pattern.compile("\\b" + Pattern.quote(name) + "\\b").matcher(text).find();
    }

    /** Comments and string/char literals removed (the sources have none of the latter that matter). */
    static String stripComments(String s) {
        return s.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ").replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("'(\\\\.|[^'\\\\])'", "' '");
    }

    private static void balanced(String text, String what) {
        String s = stripComments(text);
        Deque<Character> open = new ArrayDeque<>();
        int line = 1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') line++;
            if (c == '{' || c == '(' || c == '[') open.push(c);
            else if (c == '}' || c == ')' || c == ']') {
                char want = c == '}' ? '{' : c == ')' ? '(' : '[';
                assertFalse(open.isEmpty(), what + ": unmatched " + c + " at line " + line);
                assertEquals(want, (char) open.pop(), what + ": mismatched " + c + " at line " + line);
            }
        }
        assertTrue(open.isEmpty(), what + ": " + open.size() + " unclosed");
    }
}
