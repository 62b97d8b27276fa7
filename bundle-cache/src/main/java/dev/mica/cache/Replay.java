package dev.mica.cache;

import dev.mica.api.cache.EvictionPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replays a trace against policies and budgets, offline and deterministically: the same trace,
 * policies and budgets always give the same table. Usage:
 *
 * <pre>java -cp ... dev.mica.cache.Replay trace.jsonl --policies lru,lru-branch,gdsf --budget 4096,16384 [--plot out.svg]</pre>
 *
 * Budgets are resident KV cells (tokens).
 */
public final class Replay {
    public record Row(String policy, long budgetTokens, long requests, long promptTokens, long reusedTokens, long evictions) {
        public double hitRate() {
            return promptTokens == 0 ? 0 : (double) reusedTokens / promptTokens;
        }
    }

    private Replay() {}

    public static List<Row> run(List<Trace.Request> trace, Map<String, EvictionPolicy> policies, List<Long> budgets) {
        List<Row> rows = new ArrayList<>();
        for (var p : policies.entrySet()) {
            for (long budget : budgets) {
                rows.add(replay(trace, p.getKey(), p.getValue(), budget));
            }
        }
        return rows;
    }

    private static Row replay(List<Trace.Request> trace, String name, EvictionPolicy policy, long budgetTokens) {
        AtomicLong clock = new AtomicLong();
        int blockSize = trace.isEmpty() ? 1 : trace.getFirst().blockSize();
        PrefixTree tree = new PrefixTree(policy.newRanking(), budgetTokens / blockSize, 0, blockSize, clock::get);
        long prompt = 0, reused = 0;
        for (Trace.Request r : trace) {
            clock.set(r.t());
            int promptBlocks = r.promptBlocks();
            // one prompt token is always computed: its logits start the answer
            int usable = Math.min(promptBlocks, (r.promptTokens() - 1) / r.blockSize());
            int hit = tree.lookup(r.blocks(), usable).residentTokens();
            prompt += r.promptTokens();
            reused += (long) hit * r.blockSize();
            tree.insertResident(r.blocks());
        }
        return new Row(name, budgetTokens, trace.size(), prompt, reused, tree.evictions());
    }

    public static void printTable(List<Row> rows, PrintStream out) {
        out.printf("%-14s %12s %9s %14s %14s %9s %10s%n", "POLICY", "BUDGET", "REQUESTS", "PROMPT TOKENS", "REUSED", "HIT RATE", "EVICTIONS");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-14s %12d %9d %14d %14d %8.1f%% %10d%n", r.policy(), r.budgetTokens(), r.requests(), r.promptTokens(), r.reusedTokens(),
                    100 * r.hitRate(), r.evictions());
        }
    }

    /** Hit rate against budget, one line per policy, as a self-contained SVG. */
    public static String svg(List<Row> rows) {
        Map<String, List<Row>> byPolicy = new LinkedHashMap<>();
        rows.forEach(r -> byPolicy.computeIfAbsent(r.policy(), k -> new ArrayList<>()).add(r));
        long maxBudget = rows.stream().mapToLong(Row::budgetTokens).max().orElse(1);
        int w = 640, h = 400, left = 60, bottom = 50, top = 20, right = 140;
        String[] colors = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        int pw = w - left - right, ph = h - top - bottom;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top + ph, left + pw, top + ph));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top, left, top + ph));
        for (int i = 0; i <= 4; i++) {
            double y = top + ph - ph * i / 4.0;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>%n", left - 6, y + 4, i * 25));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">resident budget (tokens), max %d</text>%n", left + pw / 2, h - 12, maxBudget));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">prefix hit rate</text>%n", top + ph / 2, top + ph / 2));
        int c = 0;
        for (var e : byPolicy.entrySet()) {
            String color = colors[c % colors.length];
            StringBuilder points = new StringBuilder();
            for (Row r : e.getValue()) {
                double x = left + pw * (double) r.budgetTokens() / maxBudget;
                double y = top + ph - ph * r.hitRate();
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", x, y, color));
            }
            sb.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", points.toString().trim(), color));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n", left + pw + 10, top + 16 + 18 * c, color, escape(e.getKey())));
            c++;
        }
        return sb.append("</svg>\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Replay trace.jsonl --policies lru,gdsf --budget 4096,16384 [--plot out.svg]");
            System.exit(2);
        }
        Path trace = Path.of(args[0]);
        List<String> names = List.of("lru", "lru-branch", "gdsf");
        List<Long> budgets = List.of(4096L);
        Path plot = null;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--policies" -> names = List.of(args[i + 1].split(","));
                case "--budget" -> budgets = Arrays.stream(args[i + 1].split(",")).map(String::strip).map(Long::parseLong).toList();
                case "--plot" -> plot = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Map<String, EvictionPolicy> known = new LinkedHashMap<>();
        for (EvictionPolicy p : List.of(new LruPolicy(), new LruBranchPolicy(), new GdsfPolicy())) known.put(p.name(), p);
        ServiceLoader.load(EvictionPolicy.class).forEach(p -> known.putIfAbsent(p.name(), p));
        Map<String, EvictionPolicy> chosen = new LinkedHashMap<>();
        for (String n : names) {
            EvictionPolicy p = known.get(n);
            if (p == null) throw new IllegalArgumentException("no eviction policy named '" + n + "' (known: " + known.keySet() + ")");
            chosen.put(n, p);
        }
        List<Row> rows = run(Trace.read(trace), chosen, budgets);
        printTable(rows, System.out);
        if (plot != null) {
            Files.writeString(plot, svg(rows));
            System.out.println("plot written to " + plot);
        }
    }
}
