package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mica cache}: the prefix cache's experiment, arm by arm; {@code mica cache replay} replays
 * a recorded trace against policies and budgets on the server, where every installed policy
 * (third-party bundles in deploy/ too) is known.
 */
@Command(name = "cache", description = "Show the prefix cache's experiment, or replay a trace against policies.",
        subcommands = CacheCommand.Replay.class)
final class CacheCommand implements Callable<Integer> {
    private final Cli cli;

    CacheCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        JsonNode report = cli.connect().get("/api/mica/cache");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ARM", "POLICY", "WEIGHT", "REQUESTS", "HIT RATE", "TTFT P50", "TTFT P95", "EVICTIONS", "VS CONTROL"});
        boolean first = true;
        for (JsonNode a : report.path("arms")) {
            JsonNode d = a.path("hit_ratio_difference");
            String vs = first ? "control" : String.format(Locale.ROOT, "%+.1f%% [%s, %s]", 100 * d.path("estimate").asDouble(),
                    bound(d.path("low")), bound(d.path("high")));
            rows.add(new String[] {a.path("arm").asText(), a.path("policy").asText(), trim(a.path("weight").asDouble()), a.path("requests").asText(),
                    percent(a.path("hit_rate").asDouble()), ms(a.path("ttft_p50_ms").asDouble()), ms(a.path("ttft_p95_ms").asDouble()),
                    a.path("evictions").asText(), vs});
            first = false;
        }
        if (rows.size() == 1) {
            cli.out().println("no prefix cache is installed");
            return 0;
        }
        Format.table(cli.out(), rows);
        return 0;
    }

    private static String bound(JsonNode b) {
        return b.isNumber() ? String.format(Locale.ROOT, "%+.1f%%", 100 * b.asDouble()) : "?";
    }

    private static String percent(double d) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * d);
    }

    private static String ms(double d) {
        return String.format(Locale.ROOT, "%.0f ms", d);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    @Command(name = "replay", description = "Replay a recorded trace (the cache's trace setting) against policies and budgets.")
    static final class Replay implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @picocli.CommandLine.ParentCommand CacheCommand parent;
        @Parameters(index = "0", paramLabel = "TRACE", description = "the trace, JSON lines") Path trace;
        @Option(names = "--policies", split = ",", defaultValue = "lru,lru-branch,gdsf", description = "policies to compare (default: ${DEFAULT-VALUE})")
        List<String> policies;
        @Option(names = "--budget", split = ",", defaultValue = "4096", description = "budgets of resident tokens (default: ${DEFAULT-VALUE})")
        List<Long> budgets;
        @Option(names = "--plot", paramLabel = "FILE", description = "write hit rate against budget as SVG") Path plot;

        @Override
        public Integer call() throws IOException {
            Cli cli = parent.cli;
            String text;
            try {
                text = Files.readString(trace);
            } catch (NoSuchFileException e) {
                throw new CliException("no trace at " + trace);
            }
            ObjectNode body = JSON.createObjectNode();
            body.put("trace", text);
            policies.forEach(body.putArray("policies")::add);
            budgets.forEach(body.putArray("budgets")::add);
            JsonNode result = cli.connect().post("/api/mica/cache/replay", body);
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"POLICY", "BUDGET", "REQUESTS", "PROMPT TOKENS", "REUSED", "HIT RATE", "EVICTIONS"});
            for (JsonNode r : result.path("rows")) {
                rows.add(new String[] {r.path("policy").asText(), r.path("budget_tokens").asText(), r.path("requests").asText(),
                        r.path("prompt_tokens").asText(), r.path("reused_tokens").asText(), percent(r.path("hit_rate").asDouble()), r.path("evictions").asText()});
            }
            Format.table(cli.out(), rows);
            if (plot != null) {
                Files.writeString(plot, result.path("svg").asText());
                cli.out().println("plot written to " + plot);
            }
            return 0;
        }
    }
}
