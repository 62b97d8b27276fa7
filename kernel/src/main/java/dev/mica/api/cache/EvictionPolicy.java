package dev.mica.api.cache;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides which cache entry goes first when a budget is exceeded. Registered as a service with
 * {@link #NAME_PROPERTY} equal to {@link #name()}; the cache looks policies up by that name.
 *
 * <p>The cache only offers entries that may be evicted now (nothing a running request holds, and
 * never a prefix a held entry depends on), so a policy cannot break correctness, only hit rates.
 */
@ConsumerType
public interface EvictionPolicy {
    String NAME_PROPERTY = "mica.cache.policy";

    /** A short stable name, e.g. "lru", "lru-branch", "gdsf". */
    String name();

    /** Fresh ranking state for one cache (each arm of an experiment gets its own). */
    Ranking newRanking();

    /** Scores entries; the lowest score is evicted first. Called with the cache's lock held. */
    interface Ranking {
        double score(CacheEntry entry);

        /** Told of every eviction, e.g. for an aging clock such as GDSF's inflation value. */
        default void evicted(CacheEntry entry, double score) {}
    }
}
