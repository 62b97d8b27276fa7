package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.cache.ContextCache;
import dev.mica.api.cache.ContextCache.Placement;
import dev.mica.api.cache.PrefixCache;
import dev.mica.arch.llama.Llama;
import dev.mica.arch.qwen35.Qwen35;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Logits;
import dev.mica.cache.LruPolicy;
import dev.mica.cache.PrefixCacheService;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bundle-cache's prefix cache over an MLX context's memory, driven as the engine drives it (place,
 * decode from what is reused, stopping at each checkpoint, finished): a second prompt sharing a
 * prefix with the first starts from it, and its logits are those of a cold run.
 */
class MlxPrefixCacheTest {
    @TempDir Path dir;

    private static final int[] SHARED = IntStream.range(300, 324).toArray();

    private static int[] prompt(int... tail) {
        return IntStream.concat(IntStream.of(SHARED), IntStream.of(tail)).toArray();
    }

    private static LoadedModel mlx(Path file, ModelArchitecture arch) throws Exception {
        MlxBackend b = new MlxBackend(MlxTesting.folder(), List.of(arch));
        assertTrue(b.status().available(), b.status().detail());
        return b.load(file, file.getFileName().toString(), ProgressListener.NONE);
    }

    /** As the OSGi runtime would: the policy bound through the component's reference method. */
    private static PrefixCacheService service() {
        PrefixCacheService s = new PrefixCacheService(null, Map.of());
        s.addPolicy(new LruPolicy());
        return s;
    }

    /** Decodes {@code tokens[from, to)} at their positions into the sequence; the last row's logits. */
    private static float[] decode(InferenceContext c, int sequence, int[] tokens, int from, int to) throws Exception {
        Batch b = new Batch(to - from);
        for (int i = from; i < to; i++) b.add(tokens[i], i, sequence, i == to - 1);
        assertEquals(DecodeResult.OK, c.decode(b));
        return c.logits(to - from - 1).toArray(ValueLayout.JAVA_FLOAT);
    }

    private record Turn(Placement placement, float[] logits) {}

    private static Turn turn(ContextCache cache, InferenceContext c, String conversation, int[] prompt, int... boundaries) throws Exception {
        Placement p = cache.place(new ContextCache.Request(prompt, conversation, boundaries));
        assertEquals(p.reused() - 1, c.memory().maxPosition(p.sequence()), "the sequence holds exactly the reused prefix");
        int at = p.reused();
        for (int checkpoint : p.checkpoints()) {
            decode(c, p.sequence(), prompt, at, checkpoint);
            at = checkpoint;
            cache.checkpoint(p, prompt, checkpoint);
        }
        float[] logits = decode(c, p.sequence(), prompt, at, prompt.length);
        cache.finished(p, prompt, prompt.length, 1_000_000);
        return new Turn(p, logits);
    }

    private static float[] cold(LoadedModel model, int[] prompt) throws Exception {
        try (InferenceContext c = model.newContext(new ContextOptions(256, 1, 64, 1, false, true))) {
            return decode(c, 0, prompt, 0, prompt.length);
        }
    }

    private static void sameAsCold(LoadedModel model, int[] prompt, float[] logits) throws Exception {
        double error = Logits.relativeError(List.of(logits), List.of(cold(model, prompt)));
        assertTrue(error < 1e-4, "a warm start differs from a cold run by " + error);
    }

    /** Attention only: the second prompt copies the first's prefix (any length of it). */
    @Test
    void aSharedPrefixIsReusedAndGivesTheColdRunsLogits() throws Exception {
        MlxTesting.folder();
        Path file = dir.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, file);
        PrefixCacheService service = service();
        try (LoadedModel model = mlx(file, new Llama()); InferenceContext c = model.newContext(new ContextOptions(512, 4, 64, 1, false, true));
                ContextCache cache = service.open(new PrefixCache.Spec("tiny", c.memory(), 2, 2, 512, 512, 1024))) {
            int[] a = prompt(400, 401, 402, 403, 404, 405), b = prompt(450, 451, 452);
            assertEquals(0, turn(cache, c, "a", a).placement().reused());
            Turn second = turn(cache, c, "b", b);
            System.out.printf("MLX prefix cache: the second prompt reused %d of %d tokens%n", second.placement().reused(), b.length);
            assertEquals(SHARED.length, second.placement().reused());
            sameAsCold(model, b, second.logits());
        }
    }

    /** Qwen3.5: no partial reuse, so the second prompt resumes from the checkpoint at the shared prefix's end. */
    @Test
    void aHybridModelResumesFromACheckpoint() throws Exception {
        MlxTesting.folder();
        Path file = ArchModels.write(ArchModels.qwen35(false, 11), dir.resolve("qwen35.gguf"));
        PrefixCacheService service = service();
        try (LoadedModel model = mlx(file, new Qwen35()); InferenceContext c = model.newContext(new ContextOptions(512, 2, 64, 1, false, true));
                ContextCache cache = service.open(new PrefixCache.Spec("qwen35", c.memory(), 2, 0, 512, 512, 1024))) {
            int[] a = prompt(400, 401, 402, 403, 404, 405, 406, 407, 408, 409), b = prompt(450, 451, 452);
            Turn first = turn(cache, c, "a", a, SHARED.length);
            assertTrue(first.placement().checkpoints().length > 0, "checkpoints where a recurrent state cannot be cut");
            sameAsCold(model, a, first.logits());
            Turn second = turn(cache, c, "b", b, SHARED.length);
            System.out.printf("MLX prefix cache (hybrid): the second prompt resumed at %d of %d tokens%n", second.placement().reused(), b.length);
            assertEquals(SHARED.length, second.placement().reused(), "restored from the checkpoint at the shared prefix's end");
            sameAsCold(model, b, second.logits());
        }
    }
}
