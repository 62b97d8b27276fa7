package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The merge queue and the pair table against the JDK's collections. */
class PrimitivesTest {

    @Test
    void queuePopsLowestPriorityThenLeftmost() {
        Random random = new Random(7);
        BigramQueue queue = new BigramQueue();
        record Entry(int priority, int left, int right, int size) {}
        PriorityQueue<Entry> expected = new PriorityQueue<>(Comparator.comparingInt(Entry::priority).thenComparingInt(Entry::left));
        for (int round = 0; round < 20_000; round++) {
            if (expected.isEmpty() || random.nextInt(3) > 0) {
                // distinct (priority, left) pairs so the order is fully determined
                Entry e = new Entry(random.nextInt(50) - 25, round, random.nextInt(1000), random.nextInt(100));
                expected.add(e);
                queue.push(e.priority(), e.left(), e.right(), e.size());
            } else {
                Entry e = expected.poll();
                assertEquals(e.left(), queue.left());
                assertEquals(e.right(), queue.right());
                assertEquals(e.size(), queue.mergedSize());
                queue.pop();
            }
        }
        assertFalse(queue.isEmpty());
    }

    @Test
    void scoresOrderHighestFirst() {
        float[] scores = {-1e30f, -3.5f, -1f, -0.0f, 0.0f, 1e-20f, 2f, Float.MAX_VALUE};
        for (int i = 1; i < scores.length; i++) {
            int higher = BigramQueue.descendingScore(scores[i]);
            int lower = BigramQueue.descendingScore(scores[i - 1]);
            if (scores[i] == scores[i - 1]) {
                assertEquals(lower, higher, "-0.0 and 0.0 tie, as with C++'s <");
            } else {
                assertTrue(higher < lower, scores[i] + " before " + scores[i - 1]);
            }
        }
    }

    @Test
    void pairTableKeepsTheFirstValue() {
        PairTable table = new PairTable(4);
        Random random = new Random(3);
        java.util.Map<Long, Long> expected = new java.util.HashMap<>();
        for (int i = 0; i < 50_000; i++) {
            int a = random.nextInt(5000);
            int b = random.nextInt(5000);
            long key = ((long) a << 32) | b;
            boolean stored = table.putIfAbsent(a, b, i);
            assertEquals(!expected.containsKey(key), stored);
            expected.putIfAbsent(key, (long) i);
        }
        assertEquals(expected.size(), table.size());
        expected.forEach((key, value) -> assertEquals(value, table.get((int) (key >>> 32), (int) (long) key, -1)));
        assertEquals(-1, table.get(6000, 1, -1));
        assertEquals(-1, table.get(-1, 1, -1));
    }
}
