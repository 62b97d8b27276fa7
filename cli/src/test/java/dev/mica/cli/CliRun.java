package dev.mica.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Runs the CLI in this JVM with captured streams, a given environment and stdin. */
final class CliRun {
    record Result(int exitCode, String out, String err) {}

    final Map<String, String> env = new HashMap<>();
    final Path userHome;
    Path home;
    String stdin;
    boolean terminal;
    Duration startTimeout = Duration.ofSeconds(30);

    CliRun(String serverHost, Path userHome) {
        this.userHome = userHome;
        env.put("MICA_HOST", serverHost);
        env.put("MICA_NOAUTOSTART", "1");
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Cli cli = cli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc = Mica.commandLine(cli).execute(args);
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Cli cli(PrintStream out, PrintStream err) {
        boolean piped = stdin != null;
        return new Cli(out, err, new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)),
                !piped && terminal, terminal, terminal, Map.copyOf(env), home, userHome, startTimeout);
    }
}
