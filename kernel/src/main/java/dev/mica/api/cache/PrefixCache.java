package dev.mica.api.cache;

import dev.mica.api.backend.SequenceMemory;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The prefix cache, as the engine sees it: one {@link ContextCache} per inference context, which
 * decides where each prompt goes and what it may reuse. Registered by the cache bundle; without
 * it, the engine keeps only what its sequences hold between turns.
 */
@ProviderType
public interface PrefixCache {
    /**
     * Sequences the engine should add to a context of {@code slots} decoding sequences, for the
     * cache to keep prefixes in when no request holds them. The engine asks again with
     * {@code partialRemoval} false once it knows the memory cannot drop a tail (recurrent and
     * hybrid models keep their prefixes as snapshots instead, and each extra sequence would cost a
     * recurrent state).
     */
    int parkingSequences(int slots, boolean partialRemoval);

    /**
     * KV cells the engine should add to a context so that prefixes kept by the cache do not take
     * cells from the running requests: the cache keeps at most this many cells resident that no
     * request holds.
     */
    int residentCells(int slots, int contextLength);

    /** A cache over one context's memory; closed with the context. */
    ContextCache open(Spec spec);

    /**
     * What each arm of the running experiment has done since it began (a single arm, named after
     * its policy, when no experiment runs). The first arm is the control the others are compared to.
     */
    List<ArmReport> report();

    /**
     * Replays a recorded trace (JSON lines, as the cache writes with its {@code trace} setting)
     * against installed policies and budgets of resident tokens, offline: nothing live changes,
     * and the same input always gives the same rows. Each row is one policy at one budget; the SVG
     * plots hit rate against budget, a line per policy.
     *
     * @throws IllegalArgumentException for a malformed trace or a policy that is not installed
     */
    Replayed replay(List<String> traceLines, List<String> policies, List<Long> budgets);

    record Replayed(List<ReplayRow> rows, String svg) {}

    record ReplayRow(String policy, long budgetTokens, long requests, long promptTokens, long reusedTokens, double hitRate, long evictions) {}

    /**
     * One arm's counters. {@code hitRate} is reused prompt tokens over prompt tokens; the
     * difference is this arm's mean per-request hit ratio minus the control's, with a 95% interval
     * (infinite bounds until both arms have two requests).
     */
    record ArmReport(String arm, String policy, double weight, long requests, long promptTokens, long reusedTokens, double hitRate,
                     double ttftP50Millis, double ttftP95Millis, long evictions, long residentCells, long hostBytes,
                     double difference, double differenceLow, double differenceHigh) {}

    /**
     * What the cache is given: sequences [0, slots) decode; [slots, slots + parking) are the cache's
     * own; each decoding sequence may hold up to {@code contextLength} tokens.
     *
     * @param cellBytes bytes one KV cell takes (0 where unknown), so policies weigh cells and bytes alike
     */
    record Spec(String model, SequenceMemory memory, int slots, int parking, int contextLength, int residentCells, long cellBytes) {}
}
