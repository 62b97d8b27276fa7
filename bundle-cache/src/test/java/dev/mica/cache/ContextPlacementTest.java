package dev.mica.cache;

import static dev.mica.cache.PrefixTreeTest.concat;
import static dev.mica.cache.PrefixTreeTest.seq;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.ContextCache.Placement;
import dev.mica.api.cache.ContextCache.Request;
import dev.mica.api.cache.EvictionPolicy;
import dev.mica.api.cache.ExperimentArm;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The cache placing prompts over a unified-KV memory that behaves as llama.cpp's does. */
class ContextPlacementTest {
    private static final Map<String, EvictionPolicy> POLICIES = Map.of("lru", new LruPolicy(), "lru-branch", new LruBranchPolicy(), "gdsf", new GdsfPolicy());
    private final AtomicLong clock = new AtomicLong();
    private static final int[] SYSTEM = seq(1000, 100);

    private ContextPlacement placement(UnifiedKv kv, int slots, int parking, long cells, long hostBytes, List<ExperimentArm> arms) {
        Experiment e = new Experiment(arms, POLICIES::get, cells, hostBytes, 1, clock::incrementAndGet);
        return new ContextPlacement(kv, slots, parking, e, 64, 8, () -> {});
    }

    private ContextPlacement placement(UnifiedKv kv, int slots, int parking, long cells) {
        return placement(kv, slots, parking, cells, 1 << 20, List.of(new ExperimentArm("lru-branch", "lru-branch", 1)));
    }

    /**
     * One request as the engine makes it: place, check the sequence holds what the placement says,
     * decode the rest of the prompt (stopping at each checkpoint), then an answer; returns the
     * placement and the tokens the sequence ends with.
     */
    private static Placement run(ContextPlacement cache, UnifiedKv kv, String conversation, int[] prompt, int[] answer, int... boundaries) throws Exception {
        Placement p = cache.place(new Request(prompt, conversation, boundaries));
        assertArrayEquals(Arrays.copyOf(prompt, p.reused()), kv.tokens(p.sequence()), "the sequence holds exactly the reused prefix");
        int[] all = concat(prompt, answer);
        int at = p.reused();
        for (int c : p.checkpoints()) {
            kv.decode(p.sequence(), at, all, c - at);
            at = c;
            cache.checkpoint(p, all, c);
        }
        kv.decode(p.sequence(), at, all, all.length - at);
        cache.finished(p, all, all.length, 1_000_000);
        return p;
    }

    /** Every sequence holds what the cache believes, and the cells in memory are what the trees count. */
    private static void consistent(ContextPlacement cache, UnifiedKv kv, int sequences) {
        for (int s = 0; s < sequences; s++) assertArrayEquals(cache.held(s), kv.tokens(s), "sequence " + s);
        long counted = cache.experiment().arms().stream().mapToLong(a -> a.tree().residentCells()).sum();
        assertEquals(kv.cellsUsed(), counted, "cells in memory vs cells the trees count");
    }

    @Test
    void aSharedSystemPromptIsComputedOnceAndEachConversationKeepsItsHistory() throws Exception {
        UnifiedKv kv = new UnifiedKv(4096, 6, true);
        ContextPlacement cache = placement(kv, 2, 4, 2048);
        int[] a1 = concat(SYSTEM, seq(0, 10));
        assertEquals(0, run(cache, kv, "a", a1, seq(50, 5)).reused());
        assertEquals(100, run(cache, kv, "b", concat(SYSTEM, seq(100, 10)), seq(150, 5)).reused(), "b copies the system prompt a computed");
        consistent(cache, kv, 6);
        assertEquals(100 + 15 + 15, kv.cellsUsed(), "the system prompt's cells are shared, not copied");
        int[] a2 = concat(concat(a1, seq(50, 5)), seq(200, 7));
        assertEquals(115, run(cache, kv, "a", a2, seq(250, 3)).reused(), "a's next turn finds its whole history, though b took its sequence");
        consistent(cache, kv, 6);
    }

    @Test
    void budgetsHoldAndTheMemoryAgreesWithTheTreeUnderRandomTraffic() throws Exception {
        for (String policy : POLICIES.keySet()) {
            UnifiedKv kv = new UnifiedKv(4096, 7, true);
            ContextPlacement cache = placement(kv, 3, 4, 400, 1 << 20, List.of(new ExperimentArm(policy, policy, 1)));
            SplittableRandom r = new SplittableRandom(7);
            int[][] histories = new int[12][];
            for (int i = 0; i < 300; i++) {
                int c = r.nextInt(histories.length);
                int[] prompt = concat(histories[c] == null ? (c % 3 == 0 ? seq(5000 + c * 100, 40) : SYSTEM) : histories[c], seq(10_000 + i * 50, 1 + r.nextInt(30)));
                if (prompt.length > 700) prompt = concat(SYSTEM, seq(20_000 + i * 50, 5));
                int[] answer = seq(30_000 + i * 50, 1 + r.nextInt(20));
                run(cache, kv, "c" + c, prompt, answer);
                histories[c] = concat(prompt, answer);
                consistent(cache, kv, 7);
                assertTrue(kv.cellsUsed() <= 400, policy + ": " + kv.cellsUsed() + " cells held with a budget of 400");
            }
            assertTrue(cache.experiment().arms().getFirst().metrics().snapshot().reusedTokens() > 0, policy + " reused something");
        }
    }

    /** A hybrid model: checkpoints at the system prompt's end and before the prompt's end; another conversation resumes from the first. */
    @Test
    void aRecurrentModelResumesFromCheckpoints() throws Exception {
        UnifiedKv kv = new UnifiedKv(4096, 2, false);
        ContextPlacement cache = placement(kv, 2, 0, 2048);
        int[] a1 = concat(SYSTEM, seq(0, 20));
        Placement first = run(cache, kv, "a", a1, seq(50, 5), 100);
        assertArrayEquals(new int[] {64, 100, 112}, first.checkpoints(), "every 64 tokens, at the boundary, and 8 before the end");
        Placement b = run(cache, kv, "b", concat(SYSTEM, seq(100, 10)), seq(150, 5), 100);
        assertEquals(100, b.reused(), "restored from the system prompt's checkpoint");
        assertTrue(b.sequence() != first.sequence(), "a's sequence is kept for its next turn");
        int[] a2 = concat(concat(a1, seq(50, 5)), seq(200, 7));
        assertEquals(125, run(cache, kv, "a", a2, seq(250, 3), 100).reused(), "a continues its own sequence exactly");
        // the template re-renders the last answer differently: the checkpoint before the prompt's end serves
        int[] edited = concat(Arrays.copyOf(a2, 125 + 7 - 8 + 3), seq(900, 4));
        assertTrue(run(cache, kv, "a", edited, seq(950, 2), 100).reused() >= 100);
        assertTrue(kv.snapshotsOpen > 0);
        cache.close();
        assertEquals(0, kv.snapshotsOpen, "closing the cache frees every snapshot");
    }

    @Test
    void checkpointsBeyondTheHostBudgetAreFreedAtOnce() throws Exception {
        UnifiedKv kv = new UnifiedKv(4096, 2, false);
        ContextPlacement cache = placement(kv, 2, 0, 2048, 500, List.of(new ExperimentArm("lru", "lru", 1)));
        for (int i = 0; i < 5; i++) run(cache, kv, "c" + i, concat(seq(i * 1000, 100), seq(50_000, 10)), seq(60_000, 3));
        assertTrue(cache.experiment().arms().getFirst().tree().hostBytes() <= 500);
        long live = kv.snapshotsOpen;
        assertTrue(live * 4 * 64 <= 500 + 4 * 112, "snapshots still open: " + live);
    }

    @Test
    void armsOfAnExperimentDoNotShareTheirPrefixes() throws Exception {
        List<ExperimentArm> arms = List.of(new ExperimentArm("control", "lru", 1), new ExperimentArm("test", "gdsf", 1));
        UnifiedKv kv = new UnifiedKv(4096, 6, true);
        ContextPlacement cache = placement(kv, 2, 4, 2048, 1 << 20, arms);
        String inA = null, inB = null, alsoA = null;
        for (int i = 0; inA == null || inB == null || alsoA == null; i++) {
            String k = "k" + i;
            String arm = cache.experiment().assign(k).spec().name();
            if (arm.equals("control") && inA == null) inA = k;
            else if (arm.equals("control") && alsoA == null) alsoA = k;
            else if (arm.equals("test") && inB == null) inB = k;
        }
        assertEquals("control", run(cache, kv, inA, concat(SYSTEM, seq(0, 5)), seq(50, 2)).arm());
        assertEquals(0, run(cache, kv, inB, concat(SYSTEM, seq(100, 5)), seq(150, 2)).reused(), "the other arm's prefix is not used");
        assertEquals(100, run(cache, kv, alsoA, concat(SYSTEM, seq(200, 5)), seq(250, 2)).reused(), "the same arm's is");
        consistent(cache, kv, 6);
    }
}
