package dev.mica.cache;

import dev.mica.api.cache.ContextCache;
import dev.mica.api.cache.EvictionPolicy;
import dev.mica.api.cache.ExperimentArm;
import dev.mica.api.cache.PrefixCache;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The prefix cache the engine places prompts through. Configured by PID {@code dev.mica.cache}
 * (or the {@code mica.cache.*} properties): {@code policy} names the eviction policy;
 * {@code experiment} ("control=lru:1,test=gdsf:1") splits conversations between policies instead,
 * each arm with its weight's share of the budgets; {@code resident_cells} (0: one context's worth
 * per context) and {@code host_bytes} are the budgets; {@code parking} the extra sequences that
 * keep prefixes no request holds; {@code checkpoint_interval} and {@code checkpoint_tail} where
 * recurrent and hybrid models are checkpointed; {@code trace} a file to record finished requests
 * to (hashes only) for {@code mica cache replay}. A change applies to contexts created afterwards.
 */
@Component(service = PrefixCache.class, configurationPid = "dev.mica.cache")
public final class PrefixCacheService implements PrefixCache {
    private static final System.Logger LOG = System.getLogger("mica.cache");
    /**
     * Plain LRU, as llama-server's slot cache. lru-branch keeps a prefix that two conversations
     * shared over everything unshared, which wins against one-shot pollution but, once shared
     * prefixes fill the budget, evicts every new conversation right after its first turn
     * (bench/cache-bench.sh with fresh system prompts showed it): an arm to test, not a default.
     */
    static final String DEFAULT_POLICY = "lru";

    /** Settings of one configuration; a context keeps the ones it was opened with. */
    record Settings(List<ExperimentArm> arms, int parking, int residentCells, long hostBytes, int interval, int tail) {}

    private final Map<String, EvictionPolicy> policies = new ConcurrentHashMap<>();
    /** Per arm ("name/policy"): counters over every context, so a report survives a model reload. */
    private final Map<String, ArmMetrics> metrics = new ConcurrentHashMap<>();
    private final List<ContextPlacement> open = new CopyOnWriteArrayList<>();
    private final BundleContext context;
    private volatile Settings settings;
    private volatile TraceRecorder trace;

    @Activate
    public PrefixCacheService(BundleContext context, Map<String, Object> config) {
        this.context = context;
        configure(config);
    }

    @Modified
    void configure(Map<String, Object> config) {
        Settings s = new Settings(
                arms(setting(config, "experiment", ""), setting(config, "policy", DEFAULT_POLICY)),
                Integer.parseInt(setting(config, "parking", "8")),
                Integer.parseInt(setting(config, "resident_cells", "0")),
                bytes(setting(config, "host_bytes", "1g")),
                Integer.parseInt(setting(config, "checkpoint_interval", "2048")),
                Integer.parseInt(setting(config, "checkpoint_tail", "8")));
        if (s.parking() < 0 || s.residentCells() < 0 || s.hostBytes() < 0 || s.interval() < 0 || s.tail() < 1) {
            throw new IllegalArgumentException("cache settings out of range: " + s);
        }
        settings = s;
        String tracePath = setting(config, "trace", "");
        TraceRecorder previous = trace;
        try {
            trace = tracePath.isBlank() ? null : new TraceRecorder(Path.of(tracePath));
        } catch (IOException e) {
            trace = null;
            LOG.log(Level.WARNING, "cannot record the cache trace to " + tracePath + ": " + e.getMessage());
        }
        if (previous != null) previous.close();
        LOG.log(Level.INFO, "prefix cache: arms " + s.arms() + ", parking " + s.parking() + ", host budget " + s.hostBytes() + " bytes"
                + (trace == null ? "" : ", recording a trace to " + tracePath));
    }

    @Deactivate
    void deactivate() {
        TraceRecorder t = trace;
        trace = null;
        if (t != null) t.close();
    }

    /** A byte count, with an optional k, m or g (binary) after it. */
    static long bytes(String value) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        int shift = v.endsWith("k") ? 10 : v.endsWith("m") ? 20 : v.endsWith("g") ? 30 : 0;
        try {
            return Math.multiplyExact(Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1).trim()), 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("host_bytes: not a size: " + value);
        }
    }

    /** The experiment's arms, or one arm named after the policy. */
    static List<ExperimentArm> arms(String experiment, String policy) {
        if (experiment.isBlank()) return List.of(new ExperimentArm(policy, policy, 1));
        List<ExperimentArm> out = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (String part : experiment.split(",")) {
            String[] nameRest = part.trim().split("=", 2);
            String[] policyWeight = nameRest.length == 2 ? nameRest[1].split(":", 2) : new String[0];
            if (policyWeight.length == 0 || nameRest[0].isBlank() || policyWeight[0].isBlank()) {
                throw new IllegalArgumentException("experiment arm '" + part.trim() + "': write name=policy or name=policy:weight");
            }
            double weight = policyWeight.length == 2 ? Double.parseDouble(policyWeight[1].trim()) : 1;
            if (!names.add(nameRest[0].trim())) throw new IllegalArgumentException("experiment arm '" + nameRest[0].trim() + "' twice");
            out.add(new ExperimentArm(nameRest[0].trim(), policyWeight[0].trim(), weight));
        }
        return out;
    }

    private String setting(Map<String, Object> config, String key, String fallback) {
        Object v = config == null ? null : config.get(key);
        if (v != null) return v.toString();
        String p = context == null ? null : context.getProperty("mica.cache." + key);
        return p != null ? p : fallback;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void addPolicy(EvictionPolicy policy) {
        policies.put(policy.name(), policy);
    }

    public void removePolicy(EvictionPolicy policy) {
        policies.remove(policy.name(), policy);
    }

    @Override
    public int parkingSequences(int slots, boolean partialRemoval) {
        return partialRemoval ? settings.parking() : 0;
    }

    @Override
    public int residentCells(int slots, int contextLength) {
        int configured = settings.residentCells();
        return configured > 0 ? configured : contextLength;
    }

    /**
     * A placement over the context's memory, with a fresh tree per arm. An arm whose policy is not
     * installed (yet) is refused here, and the engine keeps its own placement for this context.
     */
    @Override
    public ContextCache open(Spec spec) {
        Settings s = settings;
        Experiment experiment = new Experiment(s.arms(), policies::get, spec.residentCells(), s.hostBytes(), Math.max(1, spec.cellBytes()), System::nanoTime,
                arm -> metrics.computeIfAbsent(arm.name() + "/" + arm.policy(), k -> new ArmMetrics()));
        ContextPlacement[] self = new ContextPlacement[1];
        self[0] = new ContextPlacement(spec.memory(), spec.slots(), spec.parking(), experiment, s.interval(), s.tail(), () -> open.remove(self[0]),
                () -> trace);
        open.add(self[0]);
        return self[0];
    }

    @Override
    public Replayed replay(List<String> traceLines, List<String> policyNames, List<Long> budgets) {
        if (policyNames.isEmpty()) throw new IllegalArgumentException("name at least one policy");
        if (budgets.isEmpty() || budgets.stream().anyMatch(b -> b == null || b <= 0)) throw new IllegalArgumentException("budgets must be positive token counts");
        Map<String, EvictionPolicy> chosen = new java.util.LinkedHashMap<>();
        for (String name : policyNames) {
            EvictionPolicy p = policies.get(name);
            if (p == null) throw new IllegalArgumentException("no eviction policy named '" + name + "' is installed (installed: " + new java.util.TreeSet<>(policies.keySet()) + ")");
            chosen.put(name, p);
        }
        List<Replay.Row> rows = Replay.run(Trace.parse(traceLines, "trace"), chosen, budgets);
        return new Replayed(rows.stream().map(r -> new ReplayRow(r.policy(), r.budgetTokens(), r.requests(), r.promptTokens(), r.reusedTokens(),
                r.hitRate(), r.evictions())).toList(), Replay.svg(rows));
    }

    @Override
    public List<ArmReport> report() {
        List<ExperimentArm> arms = settings.arms();
        List<ArmReport> out = new ArrayList<>();
        ArmMetrics.Snapshot control = null;
        for (ExperimentArm arm : arms) {
            ArmMetrics.Snapshot m = metrics.computeIfAbsent(arm.name() + "/" + arm.policy(), k -> new ArmMetrics()).snapshot();
            long evictions = 0, cells = 0, bytes = 0;
            for (ContextPlacement p : open) {
                for (Experiment.Arm a : p.experiment().arms()) {
                    if (!a.spec().equals(arm)) continue;
                    evictions += a.tree().evictions();
                    cells += a.tree().residentCells();
                    bytes += a.tree().hostBytes();
                }
            }
            ArmMetrics.Difference d = control == null ? new ArmMetrics.Difference(0, 0, 0) : ArmMetrics.difference(control, m);
            if (control == null) control = m;
            out.add(new ArmReport(arm.name(), arm.policy(), arm.weight(), m.requests(), m.promptTokens(), m.reusedTokens(), m.hitRate(),
                    m.ttftP50Millis(), m.ttftP95Millis(), evictions, cells, bytes, d.estimate(), d.low(), d.high()));
        }
        return out;
    }
}
