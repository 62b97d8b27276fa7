package dev.mica.cache;

import dev.mica.api.cache.EvictionPolicy;
import org.osgi.service.component.annotations.Component;

/**
 * LRU that keeps shared prefixes: an entry from which two or more continuations grew (a system
 * prompt many conversations start with) goes only after every unshared entry has gone.
 */
@Component(property = EvictionPolicy.NAME_PROPERTY + "=lru-branch")
public final class LruBranchPolicy implements EvictionPolicy {
    /** Puts unshared entries a whole clock range below shared ones, keeping their LRU order. */
    private static final double UNSHARED_OFFSET = 0x1p62;

    @Override
    public String name() {
        return "lru-branch";
    }

    @Override
    public Ranking newRanking() {
        return entry -> entry.shared() ? entry.lastUse() : entry.lastUse() - UNSHARED_OFFSET;
    }
}
