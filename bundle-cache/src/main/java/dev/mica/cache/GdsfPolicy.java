package dev.mica.cache;

import dev.mica.api.cache.CacheEntry;
import dev.mica.api.cache.EvictionPolicy;
import org.osgi.service.component.annotations.Component;

/**
 * Greedy-Dual-Size-Frequency: value = L + frequency × cost ÷ size, where cost is the prefill an
 * entry saves and L, the inflation value, rises to each victim's value, so entries that were
 * valuable long ago age out while small, often reused, expensive prefixes stay.
 */
@Component(property = EvictionPolicy.NAME_PROPERTY + "=gdsf")
public final class GdsfPolicy implements EvictionPolicy {
    @Override
    public String name() {
        return "gdsf";
    }

    @Override
    public Ranking newRanking() {
        return new Ranking() {
            private double inflation;

            @Override
            public double score(CacheEntry e) {
                return inflation + (e.hits() + 1.0) * e.cost() / Math.max(1, e.bytes());
            }

            @Override
            public void evicted(CacheEntry e, double score) {
                inflation = Math.max(inflation, score);
            }
        };
    }
}
