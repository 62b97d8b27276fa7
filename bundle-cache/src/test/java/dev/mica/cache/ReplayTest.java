package dev.mica.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.EvictionPolicy;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayTest {
    @TempDir Path dir;

    /** Agents sharing two system prompts, plus one-off long prompts that pollute the cache. */
    static List<Trace.Request> workload(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Trace.Request> out = new ArrayList<>();
        int[][] systems = {PrefixTreeTest.seq(0, 512), PrefixTreeTest.seq(5000, 512)};
        for (int i = 0; i < 400; i++) {
            int[] prompt;
            if (r.nextInt(3) == 0) {
                prompt = PrefixTreeTest.seq(100_000 + i * 1000, 384);
            } else {
                prompt = PrefixTreeTest.concat(systems[r.nextInt(2)], PrefixTreeTest.seq(10_000 + r.nextInt(100_000), 64 + r.nextInt(128)));
            }
            out.add(new Trace.Request(i * 1_000_000L, "c" + i, 16, Trace.blockHashes(prompt, prompt.length, 16, 42), prompt.length, 0));
        }
        return out;
    }

    private static Map<String, EvictionPolicy> policies() {
        Map<String, EvictionPolicy> m = new LinkedHashMap<>();
        for (EvictionPolicy p : List.of(new LruPolicy(), new LruBranchPolicy(), new GdsfPolicy())) m.put(p.name(), p);
        return m;
    }

    @Test
    void replayIsDeterministicAndRoundTripsThroughTheFileFormat() throws Exception {
        List<Trace.Request> trace = workload(1);
        StringWriter w = new StringWriter();
        for (Trace.Request r : trace) Trace.append(w, r);
        Path file = dir.resolve("trace.jsonl");
        Files.writeString(file, w.toString());
        assertTrue(!w.toString().contains("system"), "no text in the trace");
        List<Replay.Row> first = Replay.run(Trace.read(file), policies(), List.of(1024L, 2048L, 4096L));
        List<Replay.Row> second = Replay.run(trace, policies(), List.of(1024L, 2048L, 4096L));
        assertEquals(first, second);
        assertEquals(9, first.size());
        String svg = Replay.svg(first);
        assertTrue(svg.startsWith("<svg") && svg.contains("lru-branch") && svg.contains("polyline"));
    }

    @Test
    void protectingSharedPrefixesPaysOffUnderPollution() {
        List<Replay.Row> rows = Replay.run(workload(3), policies(), List.of(1536L));
        double lru = rows.get(0).hitRate();
        double branch = rows.get(1).hitRate();
        assertTrue(branch > lru, "lru-branch " + branch + " vs lru " + lru);
        assertTrue(rows.stream().allMatch(r -> r.hitRate() >= 0 && r.hitRate() < 1));
    }

    @Test
    void aThirdPartyPolicyPlugsIntoReplay() {
        Map<String, EvictionPolicy> m = policies();
        java.util.ServiceLoader.load(EvictionPolicy.class).forEach(p -> m.put(p.name(), p));
        assertTrue(m.containsKey("lfu-aging"), "the example bundle's policy is found: " + m.keySet());
        List<Replay.Row> rows = Replay.run(workload(5), Map.of("lfu-aging", m.get("lfu-aging")), List.of(1536L));
        assertTrue(rows.getFirst().hitRate() > 0, "it caches something");
    }

    @Test
    void malformedTraceLinesAreReportedWithTheirLine() throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"t\":0,\"conv\":\"a\",\"blockSize\":16,\"blocks\":[1],\"promptTokens\":16,\"generatedTokens\":0}\n{not json\n");
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Trace.read(file));
        assertTrue(e.getMessage().contains(":2:"), e.getMessage());
    }
}
