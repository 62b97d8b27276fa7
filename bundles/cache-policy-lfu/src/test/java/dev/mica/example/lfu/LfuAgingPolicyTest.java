package dev.mica.example.lfu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.CacheEntry;
import org.junit.jupiter.api.Test;

class LfuAgingPolicyTest {
    record Entry(long hits) implements CacheEntry {
        public Tier tier() { return Tier.RESIDENT; }
        public int depth() { return 10; }
        public int tokens() { return 10; }
        public long bytes() { return 10; }
        public long lastUse() { return 0; }
        public long created() { return 0; }
        public int children() { return 0; }
        public boolean shared() { return false; }
    }

    @Test
    void frequentEntriesScoreHigherAndAgeCatchesUp() {
        var ranking = new LfuAgingPolicy().newRanking();
        assertTrue(ranking.score(new Entry(1)) < ranking.score(new Entry(5)));
        ranking.evicted(new Entry(5), ranking.score(new Entry(5)));
        assertTrue(ranking.score(new Entry(1)) > 5, "after aging, a fresh entry outranks the old counts");
    }
}
