package dev.mica.mlx;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.mica.api.arch.Tensor;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ProgressListener;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.mlx.ffm.Mlx;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file's tensors as MLX arrays, read on the Java side. mlx-c 0.6.0 has no GGUF loader (it
 * arrived after that release), and reading here keeps one code path for every type: float types
 * become float32 (MLX's CPU backend computes float32 GEMM with BLAS; half types are slow or
 * missing there), and Q8_0 / Q4_0 / MXFP4 blocks are repacked, exactly, into MLX's own quantized
 * layouts so matmuls run quantized ({@code mlx_quantized_matmul}) without dequantizing.
 */
final class MlxWeights implements MlxLoadedWeights {
    static final Set<GgmlType> SUPPORTED = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.MXFP4);
    private static final java.lang.foreign.ValueLayout.OfShort HALF = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgufFile file;
    private final Mlx mlx;
    private final Map<String, MlxTensor> tensors = new HashMap<>();
    private long bytes;

    private MlxWeights(GgufFile file, Mlx mlx) {
        this.file = file;
        this.mlx = mlx;
    }

    /** Reads every tensor into MLX; on the MLX thread. Frees what it made when it fails. */
    static MlxWeights load(GgufFile file, Path path, Mlx mlx, ProgressListener progress) throws BackendException {
        MlxWeights w = new MlxWeights(file, mlx);
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            List<GgufTensor> all = file.tensors();
            for (int i = 0; i < all.size(); i++) {
                GgufTensor t = all.get(i);
                w.tensors.put(t.name(), w.convert(t, mapped.asSlice(t.offset(), t.byteSize())));
                progress.progress(0.1 + 0.9 * (i + 1) / all.size());
            }
            return w;
        } catch (IOException e) {
            w.close();
            throw new BackendException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private MlxTensor convert(GgufTensor t, MemorySegment data) {
        long[] ne = t.shape();
        long[] dims = new long[ne.length];
        int[] shape = new int[ne.length];
        for (int i = 0; i < ne.length; i++) {
            dims[i] = ne[ne.length - 1 - i];
            shape[i] = Math.toIntExact(dims[i]);
        }
        String type = t.type().ggmlName();
        bytes += t.byteSize();
        return switch (t.type()) {
            case F32 -> new MlxTensor(mlx.array(data, shape, Mlx.FLOAT32), dims, type);
            case F16, BF16 -> {
                MemorySegment half = mlx.array(data, shape, t.type() == GgmlType.F16 ? Mlx.FLOAT16 : Mlx.BFLOAT16);
                MemorySegment f32 = mlx.op("mlx_astype", half, Mlx.FLOAT32);
                mlx.free(half);
                mlx.eval(List.of(f32));   // materialize now, so the half copy goes
                yield new MlxTensor(f32, dims, type);
            }
            case Q8_0, Q4_0, MXFP4 -> quantized(t.type(), data, shape, dims, type);
            default -> throw new IllegalArgumentException("tensor " + t.name() + " is " + type + "; the mlx backend reads " + SUPPORTED);
        };
    }

    /**
     * ggml blocks of 32 → MLX groups of 32. Q8_0 (d, 32 × int8) is affine 8-bit with bias −128·d;
     * Q4_0 (d, 16 bytes: element j low nibble, j+16 high) is affine 4-bit with bias −8·d; MXFP4
     * (E8M0 exponent, nibbles as Q4_0) is MLX's mxfp4 with the same exponent byte. MLX packs
     * values low bits first, in order, into uint32 words.
     */
    private MlxTensor quantized(GgmlType type, MemorySegment data, int[] shape, long[] dims, String name) {
        int cols = shape[shape.length - 1];
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        int groups = cols / 32;
        long blocks = rows * groups;
        int bits = type == GgmlType.Q8_0 ? 8 : 4;
        byte[] packed = new byte[Math.toIntExact(blocks * 32 * bits / 8)];
        boolean mx = type == GgmlType.MXFP4;
        float[] scales = mx ? null : new float[Math.toIntExact(blocks)], biases = mx ? null : new float[scales.length];
        byte[] exponents = mx ? new byte[Math.toIntExact(blocks)] : null;
        int blockBytes = type.typeSize();
        for (long b = 0; b < blocks; b++) {
            long at = b * blockBytes;
            int i = (int) b;
            if (mx) {
                exponents[i] = data.get(JAVA_BYTE, at);
                at += 1;
            } else {
                float d = Float.float16ToFloat(data.get(HALF, at));
                scales[i] = d;
                biases[i] = type == GgmlType.Q8_0 ? -128f * d : -8f * d;
                at += 2;
            }
            int out = i * 32 * bits / 8;
            if (bits == 8) {
                for (int j = 0; j < 32; j++) packed[out + j] = (byte) (data.get(JAVA_BYTE, at + j) + 128);
            } else {
                for (int k = 0; k < 16; k++) {
                    int e0 = nibble(data, at, 2 * k), e1 = nibble(data, at, 2 * k + 1);
                    packed[out + k] = (byte) (e0 | e1 << 4);
                }
            }
        }
        int[] wShape = shape.clone();
        wShape[wShape.length - 1] = cols * bits / 32;
        int[] sShape = shape.clone();
        sShape[sShape.length - 1] = groups;
        MemorySegment w = mlx.array(MemorySegment.ofArray(packed), wShape, Mlx.UINT32);
        MlxTensor.Quant q = mx
                ? new MlxTensor.Quant(mlx.array(MemorySegment.ofArray(exponents), sShape, Mlx.UINT8), null, 32, 4, "mxfp4")
                : new MlxTensor.Quant(mlx.array(MemorySegment.ofArray(scales), sShape, Mlx.FLOAT32),
                        mlx.array(MemorySegment.ofArray(biases), sShape, Mlx.FLOAT32), 32, bits, "affine");
        return new MlxTensor(w, dims, name, q);
    }

    /** Element e (0..31) of a ggml 4-bit block's 16 value bytes. */
    private static int nibble(MemorySegment data, long at, int e) {
        int b = data.get(JAVA_BYTE, at + (e % 16)) & 0xFF;
        return e < 16 ? b & 0xF : b >>> 4;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public String architecture() {
        return file.architecture();
    }

    @Override
    public Map<String, Object> metadata() {
        return file.metadata();
    }

    @Override
    public Tensor find(String name) {
        return tensors.get(name);
    }

    /** Frees every array; on the MLX thread. */
    @Override
    public void close() {
        for (MlxTensor t : tensors.values()) t.free(mlx);
        tensors.clear();
    }
}
