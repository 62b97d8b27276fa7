package dev.mica.example.lfu;

import dev.mica.api.cache.CacheEntry;
import dev.mica.api.cache.EvictionPolicy;
import org.osgi.service.component.annotations.Component;

/**
 * An example of a third-party eviction policy: the whole bundle is this class. LFU with dynamic
 * aging (LFU-DA): an entry's value is its use count plus the value of the last victim at the time
 * it was last scored, so counts earned long ago stop protecting an entry forever.
 *
 * <p>Drop the jar into mica's deploy/ folder and name "lfu-aging" in a cache experiment.
 */
@Component(property = EvictionPolicy.NAME_PROPERTY + "=lfu-aging")
public final class LfuAgingPolicy implements EvictionPolicy {
    @Override
    public String name() {
        return "lfu-aging";
    }

    @Override
    public Ranking newRanking() {
        return new Ranking() {
            private double age;

            @Override
            public double score(CacheEntry e) {
                return age + e.hits();
            }

            @Override
            public void evicted(CacheEntry e, double score) {
                age = Math.max(age, score);
            }
        };
    }
}
