package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each of MLX's quantization modes: what {@code mlx_quantize} packs, {@code mlx_dequantize} reads
 * back exactly as a plain Java decoding of the packed bytes says it should. This pins down the
 * layout the safetensors loader takes as it is.
 */
class MlxQuantModesTest {
    @ParameterizedTest
    @CsvSource({"affine, 2, 64", "affine, 3, 64", "affine, 4, 64", "affine, 4, 32", "affine, 5, 64", "affine, 6, 64", "affine, 8, 64",
            "affine, 8, 128", "mxfp4, 4, 32", "mxfp8, 8, 32", "nvfp4, 4, 16"})
    void dequantizationMatchesTheReference(String mode, int bits, int group) throws Exception {
        MlxRuntime rt = MlxTesting.runtime();
        int rows = 24, cols = 256;
        SplittableRandom r = new SplittableRandom(bits * 31L + group);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.05 * (1 + i / cols));
        MlxFormatModels.Quantized q = MlxFormatModels.quantize(rt, w, rows, cols, mode, bits, group);
        assertEquals(rows * cols * bits / 32, q.words().length);
        float[] mlx = MlxFormatModels.dequantizeByMlx(rt, q);
        float[] java = MlxFormatModels.dequantizeInJava(q);
        double worst = 0, err = 0, scale = 0;
        for (int i = 0; i < w.length; i++) {
            worst = Math.max(worst, Math.abs(mlx[i] - java[i]) / Math.max(1e-30, Math.abs(java[i])));
            err = Math.max(err, Math.abs(java[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        System.out.printf("%s %d-bit/%d: MLX vs Java dequantization %.1e (relative), quantization error %.3f of max |w|%n",
                mode, bits, group, worst, err / scale);
        assertEquals(0, worst, 1e-6, "MLX and the Java reference disagree");
        // a sanity bound only: MLX's mxfp8 measured 0.19 here (E4M3 saturating under a power-of-two scale)
        double bound = mode.equals("affine") ? (bits >= 8 ? 0.01 : bits >= 4 ? 0.15 : 0.5) : 0.3;
        assertEquals(0, err / scale, bound, "the quantization is far off the input");
    }
}
