package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mica bench MODEL}: prompt-processing and generation speed through the API, measured by
 * the server's own counters ({@code prompt_eval_count/duration}, {@code eval_count/duration}) on
 * {@code /api/generate} with a raw prompt. One warm-up run, then the repetitions; each run's
 * prompt starts differently so no prompt cache turns prompt processing into a lookup. For
 * llama-bench-style comparisons with llama.cpp see {@code bench/llama-bench.sh}.
 */
@Command(name = "bench", description = "Measure prompt processing and generation speed of a model through the API.")
final class BenchCommand implements Callable<Integer> {
    private static final String WORDS = "the quick brown fox jumps over the lazy dog while seven wizards quietly judge boxing matches ";

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = {"-p", "--prompt-words"}, paramLabel = "N", description = "Prompt length in words (default ${DEFAULT-VALUE}).")
    int promptWords = 256;

    @Option(names = {"-n", "--generate"}, paramLabel = "N", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int generate = 64;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", description = "Measured runs after one warm-up (default ${DEFAULT-VALUE}).")
    int repetitions = 3;

    BenchCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        if (promptWords < 1 || generate < 1 || repetitions < 1) throw new CliException("--prompt-words, --generate and --repetitions must be positive", CliException.USAGE);
        Client client = cli.connect();
        Models.show(client, model);
        List<Double> pp = new ArrayList<>(), tg = new ArrayList<>();
        long promptTokens = 0, generated = 0;
        for (int run = 0; run <= repetitions; run++) {
            JsonNode d = client.post("/api/generate", request(run));
            if (run == 0) continue; // warm-up: loads the model and fills caches
            promptTokens = d.path("prompt_eval_count").asLong();
            generated = d.path("eval_count").asLong();
            pp.add(rate(promptTokens, d.path("prompt_eval_duration").asLong()));
            tg.add(rate(generated, d.path("eval_duration").asLong()));
            cli.err().printf(Locale.ROOT, "run %d/%d: %d prompt tokens at %.2f t/s, %d generated at %.2f t/s%n",
                    run, repetitions, promptTokens, pp.getLast(), generated, tg.getLast());
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"MODEL", "TEST", "TOKENS", "T/S (MEDIAN)", "MIN", "MAX"});
        rows.add(row("pp", promptTokens, pp));
        rows.add(row("tg", generated, tg));
        Format.table(cli.out(), rows);
        return 0;
    }

    private ObjectNode request(int run) {
        StringBuilder prompt = new StringBuilder("Run ").append(run).append(": ");
        String[] words = WORDS.split(" ");
        for (int i = 0; i < promptWords; i++) prompt.append(words[i % words.length]).append(' ');
        ObjectNode body = Client.JSON.createObjectNode().put("model", model).put("prompt", prompt.toString()).put("raw", true).put("stream", false);
        body.putObject("options").put("num_predict", generate).put("temperature", 0).put("seed", 42)
                .put("num_ctx", Math.max(2048, promptWords * 2 + generate + 64));
        return body;
    }

    private String[] row(String test, long tokens, List<Double> rates) {
        double[] r = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
        return new String[] {model, test, Long.toString(tokens), String.format(Locale.ROOT, "%.2f", median),
                String.format(Locale.ROOT, "%.2f", Arrays.stream(r).min().orElse(0)), String.format(Locale.ROOT, "%.2f", Arrays.stream(r).max().orElse(0))};
    }

    private static double rate(long tokens, long nanos) {
        return nanos > 0 ? tokens * 1e9 / nanos : 0;
    }
}
