package dev.mica.http;

import dev.mica.api.cache.ContextCache;
import dev.mica.api.cache.PrefixCache;
import java.util.List;

/** A prefix cache that reports a fixed two-arm experiment and replays by rote: the HTTP shape is under test, not the cache. */
final class ScriptedCache implements PrefixCache {
    static final List<ArmReport> ARMS = List.of(
            new ArmReport("control", "lru", 1, 10, 1000, 400, 0.4, 120, 300, 3, 512, 0, 0, 0, 0),
            new ArmReport("test", "lru-branch", 1, 12, 1100, 700, 0.636, 80, 250, 1, 600, 4096, 0.2, 0.05, Double.POSITIVE_INFINITY));
    volatile List<String> lastTrace;

    @Override
    public int parkingSequences(int slots, boolean partialRemoval) {
        throw new UnsupportedOperationException("no contexts here");
    }

    @Override
    public int residentCells(int slots, int contextLength) {
        throw new UnsupportedOperationException("no contexts here");
    }

    @Override
    public ContextCache open(Spec spec) {
        throw new UnsupportedOperationException("no contexts here");
    }

    @Override
    public List<ArmReport> report() {
        return ARMS;
    }

    @Override
    public Replayed replay(List<String> traceLines, List<String> policies, List<Long> budgets) {
        if (policies.contains("nope")) throw new IllegalArgumentException("no eviction policy named 'nope' is installed");
        lastTrace = traceLines;
        return new Replayed(policies.stream().flatMap(p -> budgets.stream().map(b -> new ReplayRow(p, b, traceLines.size(), 100, 40, 0.4, 2))).toList(),
                "<svg/>");
    }
}
