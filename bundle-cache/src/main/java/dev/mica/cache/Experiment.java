package dev.mica.cache;

import dev.mica.api.cache.EvictionPolicy;
import dev.mica.api.cache.ExperimentArm;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * An A/B test of eviction policies on live traffic. Each conversation is assigned to an arm by a
 * stable key; each arm has its own prefix tree holding its weight's share of the budgets, so the
 * arms compete on equal terms and their metrics compare.
 */
public final class Experiment {
    public record Arm(ExperimentArm spec, PrefixTree tree, ArmMetrics metrics) {}

    private final List<Arm> arms = new ArrayList<>();
    private final double[] cumulative;

    public Experiment(List<ExperimentArm> specs, Function<String, EvictionPolicy> policies, long residentCells, long hostBytes, long cellBytes, LongSupplier clock) {
        this(specs, policies, residentCells, hostBytes, cellBytes, clock, spec -> new ArmMetrics());
    }

    /** @param metrics each arm's counters, which may outlive this experiment's trees (one per context) */
    public Experiment(List<ExperimentArm> specs, Function<String, EvictionPolicy> policies, long residentCells, long hostBytes, long cellBytes, LongSupplier clock,
                      Function<ExperimentArm, ArmMetrics> metrics) {
        if (specs.isEmpty()) throw new IllegalArgumentException("an experiment needs at least one arm");
        double total = specs.stream().mapToDouble(ExperimentArm::weight).sum();
        cumulative = new double[specs.size()];
        double acc = 0;
        for (int i = 0; i < specs.size(); i++) {
            ExperimentArm s = specs.get(i);
            EvictionPolicy policy = policies.apply(s.policy());
            if (policy == null) throw new IllegalArgumentException("arm " + s.name() + ": no eviction policy named '" + s.policy() + "'");
            double share = s.weight() / total;
            acc += share;
            cumulative[i] = acc;
            arms.add(new Arm(s, new PrefixTree(policy.newRanking(), (long) (residentCells * share), (long) (hostBytes * share), cellBytes, clock), metrics.apply(s)));
        }
        cumulative[specs.size() - 1] = 1.0;
    }

    /** The arm of a conversation: the same key always lands in the same arm. */
    public Arm assign(String key) {
        double u = unit(key);
        for (int i = 0; i < cumulative.length; i++) {
            if (u < cumulative[i]) return arms.get(i);
        }
        return arms.getLast();
    }

    public List<Arm> arms() {
        return List.copyOf(arms);
    }

    /** A uniform number in [0, 1) from a key, the same on every machine and run. */
    static double unit(String key) {
        byte[] d = sha256().digest(key.getBytes(StandardCharsets.UTF_8));
        long bits = ByteBuffer.wrap(d).getLong() >>> 11;
        return bits / (double) (1L << 53);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
