package dev.mica.cache;

import dev.mica.api.cache.CacheEntry;
import dev.mica.api.cache.EvictionPolicy;
import org.osgi.service.component.annotations.Component;

/** Least recently used first. */
@Component(property = EvictionPolicy.NAME_PROPERTY + "=lru")
public final class LruPolicy implements EvictionPolicy {
    @Override
    public String name() {
        return "lru";
    }

    @Override
    public Ranking newRanking() {
        return CacheEntry::lastUse;
    }
}
