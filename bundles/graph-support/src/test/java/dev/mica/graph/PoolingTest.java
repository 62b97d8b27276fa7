package dev.mica.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.ModelInfo.MemoryKind;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules both graph backends embed by, without a backend. */
class PoolingTest {
    private static ModelInfo info(Map<String, Object> metadata) {
        return new ModelInfo("llama", "t", 64, 10, 2, 0, "F32", null, Set.of(), MemoryKind.ATTENTION, metadata);
    }

    @Test
    void theModelsDeclarationChoosesAndMeanIsTheDefault() throws Exception {
        assertEquals(Pooling.MEAN, Pooling.forEmbeddings(info(Map.of()), "m", "x"));
        assertEquals(Pooling.LAST, Pooling.forEmbeddings(info(Map.of("llama.pooling_type", 3)), "m", "x"));
        assertEquals(Pooling.CLS, Pooling.forEmbeddings(info(Map.of("llama.pooling_type", 2L)), "m", "x"));
        BackendException none = assertThrows(BackendException.class, () -> Pooling.forEmbeddings(info(Map.of("llama.pooling_type", 0)), "m", "x"));
        assertTrue(none.getMessage().contains("no pooling"), none.getMessage());
        BackendException rank = assertThrows(BackendException.class, () -> Pooling.forEmbeddings(info(Map.of("llama.pooling_type", 4)), "m", "mlx"));
        assertTrue(rank.getMessage().contains("reranker") && rank.getMessage().contains("mlx backend"), rank.getMessage());
        assertThrows(BackendException.class, () -> Pooling.forEmbeddings(info(Map.of("llama.pooling_type", 9)), "m", "x"));
    }

    @Test
    void onlyADeclaredPoolingMakesAnEmbeddingModel() {
        assertFalse(Pooling.declared(Map.of(), "llama"));
        assertFalse(Pooling.declared(Map.of("llama.pooling_type", 0), "llama"));
        assertTrue(Pooling.declared(Map.of("llama.pooling_type", 1), "llama"));
    }

    @Test
    void attentionIsCausalUnlessTheFileSaysNot() {
        assertTrue(Pooling.causalAttention(info(Map.of())));
        assertTrue(Pooling.causalAttention(info(Map.of("llama.attention.causal", true))));
        assertFalse(Pooling.causalAttention(info(Map.of("llama.attention.causal", false))));
    }

    /** Two sequences interleaved, positions out of row order: representatives are chosen by position. */
    @Test
    void poolsPerSequence() {
        int[] positions = {1, 0, 0, 1, 2}, sequences = {0, 0, 1, 1, 1};
        float[] hidden = {1, 10, 3, 30, 5, 50, 7, 70, 9, 90};
        float[][] mean = Pooling.MEAN.pool(hidden, 2, positions, sequences, 3);
        assertArrayEquals(new float[] {2, 20}, mean[0]);
        assertArrayEquals(new float[] {7, 70}, mean[1]);
        assertNull(mean[2]);
        int[] lastRows = Pooling.LAST.rowsToRead(positions, sequences, 3);
        assertArrayEquals(new int[] {0, 4}, lastRows);
        float[][] last = Pooling.LAST.pool(new float[] {1, 10, 9, 90}, 2, positions, sequences, 3);
        assertArrayEquals(new float[] {1, 10}, last[0]);
        assertArrayEquals(new float[] {9, 90}, last[1]);
        assertArrayEquals(new int[] {1, 2}, Pooling.CLS.rowsToRead(positions, sequences, 3));
    }
}
