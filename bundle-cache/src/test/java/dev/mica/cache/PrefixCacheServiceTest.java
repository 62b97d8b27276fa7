package dev.mica.cache;

import static dev.mica.cache.PrefixTreeTest.concat;
import static dev.mica.cache.PrefixTreeTest.seq;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.ContextCache;
import dev.mica.api.cache.ContextCache.Placement;
import dev.mica.api.cache.PrefixCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service the engine sees: experiments from configuration, a report per arm, traces recorded and replayed. */
class PrefixCacheServiceTest {
    @TempDir Path dir;

    private static PrefixCacheService service(Map<String, Object> config) {
        PrefixCacheService s = new PrefixCacheService(null, config);
        s.addPolicy(new LruPolicy());
        s.addPolicy(new LruBranchPolicy());
        s.addPolicy(new GdsfPolicy());
        return s;
    }

    private static void turn(ContextCache cache, UnifiedKv kv, String conversation, int[] prompt, int answer) throws Exception {
        Placement p = cache.place(new ContextCache.Request(prompt, conversation, new int[0]));
        int[] all = concat(prompt, seq(90_000, answer));
        kv.decode(p.sequence(), p.reused(), all, all.length - p.reused());
        cache.finished(p, all, all.length, 5_000_000);
    }

    @Test
    void recordsATraceThatReplaysDeterministicallyAgainstInstalledPolicies() throws Exception {
        Path trace = dir.resolve("traces/cache.jsonl");
        PrefixCacheService s = service(Map.of("experiment", "control=lru:1, test=gdsf:1", "trace", trace.toString()));
        UnifiedKv kv = new UnifiedKv(8192, 6, true);
        try (ContextCache cache = s.open(new PrefixCache.Spec("m", kv, 2, 4, 2048, 2048, 0))) {
            int[] system = seq(1000, 64);
            for (int c = 0; c < 6; c++) turn(cache, kv, "c" + c, concat(system, seq(c * 100, 20)), 10);
        }
        List<String> lines = Files.readAllLines(trace);
        assertEquals(6, lines.size());
        assertFalse(lines.getFirst().contains("\"c0\""), "conversation keys are hashed: " + lines.getFirst());

        List<PrefixCache.ArmReport> report = s.report();
        assertEquals(List.of("control", "test"), report.stream().map(PrefixCache.ArmReport::arm).toList());
        assertEquals(6, report.stream().mapToLong(PrefixCache.ArmReport::requests).sum());
        assertEquals(5.0, report.stream().filter(a -> a.requests() > 0).findFirst().orElseThrow().ttftP50Millis(), 1e-9);

        PrefixCache.Replayed once = s.replay(lines, List.of("lru", "gdsf"), List.of(64L, 1024L));
        assertEquals(4, once.rows().size());
        assertEquals(once, s.replay(lines, List.of("lru", "gdsf"), List.of(64L, 1024L)), "the same input, the same rows");
        PrefixCache.ReplayRow roomy = once.rows().get(1);
        assertEquals(1024, roomy.budgetTokens());
        assertTrue(roomy.reusedTokens() >= 5 * 64, "the shared system prompt is reused by five of six: " + roomy);
        assertTrue(once.svg().startsWith("<svg"));

        assertThrows(IllegalArgumentException.class, () -> s.replay(lines, List.of("nope"), List.of(64L)));
        assertThrows(IllegalArgumentException.class, () -> s.replay(List.of("{not json"), List.of("lru"), List.of(64L)));
        assertThrows(IllegalArgumentException.class, () -> s.replay(lines, List.of("lru"), List.of(0L)));
        s.deactivate();
    }

    @Test
    void experimentsAreParsedAndCheckedOnConfiguration() {
        assertEquals(2, PrefixCacheService.arms("a=lru:2, b=gdsf", "lru").size());
        assertEquals("lru", PrefixCacheService.arms("", "lru").getFirst().policy());
        assertThrows(IllegalArgumentException.class, () -> PrefixCacheService.arms("a=lru,a=gdsf", "lru"));
        assertThrows(IllegalArgumentException.class, () -> PrefixCacheService.arms("lru", "lru"));
        assertThrows(IllegalArgumentException.class, () -> service(Map.of("checkpoint_tail", "0")));
        assertEquals(3L << 30, PrefixCacheService.bytes("3g"));
        assertThrows(IllegalArgumentException.class, () -> PrefixCacheService.bytes("lots"));
    }
}
