package dev.mica.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.EvictionPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefixTreeTest {
    private final AtomicLong clock = new AtomicLong();

    private PrefixTree tree(EvictionPolicy policy, long cells) {
        return new PrefixTree(policy.newRanking(), cells, 1 << 20, 1, () -> clock.incrementAndGet());
    }

    static int[] seq(int from, int n) {
        return IntStream.range(from, from + n).toArray();
    }

    static int[] concat(int[] a, int[] b) {
        int[] o = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    @Test
    void findsTheLongestResidentPrefixIncludingPartOfAnEdge() {
        PrefixTree t = tree(new LruPolicy(), 1000);
        int[] system = seq(0, 50);
        t.insertResident(concat(system, seq(100, 10)));
        assertEquals(55, t.lookup(concat(concat(system, seq(100, 5)), seq(900, 5)), 1000).residentTokens(), "part of an edge is reused");
        t.insertResident(concat(system, seq(200, 10)));
        assertEquals(60, t.lookup(concat(system, seq(200, 10)), 1000).residentTokens());
        assertEquals(50, t.lookup(concat(system, seq(300, 10)), 1000).residentTokens(), "the shared system prompt");
        assertEquals(59, t.lookup(concat(system, seq(200, 10)), 59).residentTokens(), "limited to what the caller may reuse");
        assertEquals(70, t.residentCells(), "50 shared cells counted once, plus two 10-token continuations");
    }

    @Test
    void checkpointsResumeFromTheDeepestOneBeforeTheLimit() {
        PrefixTree t = tree(new LruPolicy(), 1000);
        int[] prompt = seq(0, 100);
        t.insertCheckpoint(prompt, 40, 10, "at40");
        t.insertCheckpoint(prompt, 96, 10, "at96");
        var m = t.lookup(prompt, 99);
        assertEquals(96, m.checkpointTokens());
        assertEquals("at96", m.checkpointHandle());
        assertEquals(40, t.lookup(concat(seq(0, 60), seq(500, 40)), 99).checkpointTokens());
        assertEquals(0, t.lookup(seq(1, 50), 99).checkpointTokens());
    }

    @Test
    void budgetsAreNeverExceededUnderRandomTraffic() {
        SplittableRandom r = new SplittableRandom(7);
        for (EvictionPolicy p : List.of(new LruPolicy(), new LruBranchPolicy(), new GdsfPolicy())) {
            PrefixTree t = new PrefixTree(p.newRanking(), 300, 5_000, 1, () -> clock.incrementAndGet());
            List<Object> freed = new ArrayList<>();
            t.onEviction(e -> freed.add(e.handle()));
            for (int i = 0; i < 2000; i++) {
                int[] prompt = concat(seq(r.nextInt(4) * 1000, r.nextInt(5, 60)), seq(10_000 + r.nextInt(50) * 100, r.nextInt(1, 80)));
                t.lookup(prompt, prompt.length);
                t.insertResident(prompt);
                if (r.nextInt(4) == 0) t.insertCheckpoint(prompt, r.nextInt(prompt.length + 1), r.nextInt(100, 900), "cp" + i);
                assertTrue(t.residentCells() <= 300, p.name() + " resident " + t.residentCells());
                assertTrue(t.hostBytes() <= 5_000, p.name() + " host " + t.hostBytes());
            }
            assertTrue(t.evictions() > 0);
            assertTrue(freed.stream().anyMatch(h -> h != null), "evicted checkpoints are handed back to be freed");
        }
    }

    @Test
    void whatARequestHoldsIsNeverEvicted() {
        PrefixTree t = tree(new LruPolicy(), 100);
        int[] held = seq(0, 80);
        t.insertResident(held);
        try (var lease = t.lease(held, held.length)) {
            t.insertResident(seq(1000, 60));
            assertEquals(80, t.lookup(held, 80).residentTokens(), "held, so the newcomer was evicted instead");
            assertTrue(t.residentCells() <= 100);
        }
        t.insertResident(seq(2000, 60));
        assertEquals(0, t.lookup(held, 80).residentTokens(), "released: now it can go");
    }

    @Test
    void lruEvictsTheLeastRecentlyUsedLeafFirst() {
        PrefixTree t = tree(new LruPolicy(), 30);
        t.insertResident(seq(0, 10));
        t.insertResident(seq(100, 10));
        t.insertResident(seq(200, 10));
        t.lookup(seq(0, 10), 10);
        t.insertResident(seq(300, 10));
        assertEquals(0, t.lookup(seq(100, 10), 10).residentTokens(), "the oldest went");
        assertEquals(10, t.lookup(seq(0, 10), 10).residentTokens(), "the recently used one stayed");
    }

    @Test
    void lruBranchKeepsASharedPrefixThatPlainLruWouldEvict() {
        int[] system = seq(0, 20);
        for (EvictionPolicy p : List.of(new LruPolicy(), new LruBranchPolicy())) {
            PrefixTree t = tree(p, 60);
            t.insertResident(concat(system, seq(100, 5)));
            t.insertResident(concat(system, seq(200, 5)));
            for (int i = 0; i < 5; i++) t.insertResident(seq(1000 * (i + 1), 10));
            int reused = t.lookup(concat(system, seq(300, 5)), 100).residentTokens();
            assertEquals(p instanceof LruBranchPolicy ? 20 : 0, reused, p.name());
        }
    }

    @Test
    void gdsfPrefersToKeepOftenReusedCheapToKeepPrefixes() {
        PrefixTree t = tree(new GdsfPolicy(), 50);
        int[] popular = seq(0, 10);
        t.insertResident(popular);
        for (int i = 0; i < 5; i++) t.lookup(popular, 10);
        t.insertResident(seq(100, 30));
        t.insertResident(seq(200, 15));
        assertEquals(10, t.lookup(popular, 10).residentTokens(), "the popular prefix survived although it is the oldest");
        assertNull(t.lookup(seq(100, 30), 30).checkpointHandle());
    }

    @Test
    void emptyNodesArePruned() {
        PrefixTree t = tree(new LruPolicy(), 10);
        for (int i = 0; i < 100; i++) t.insertResident(seq(i * 100, 10));
        assertTrue(t.nodes() <= 2, "nodes " + t.nodes());
    }
}
