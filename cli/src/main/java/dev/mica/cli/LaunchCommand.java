package dev.mica.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mica launch claude|codex|opencode --model M [-- ARGS]}: makes sure the server runs and
 * has the model (pulling it if not), then runs the tool pointed at mica and returns its exit
 * code. {@code --config} only prints the environment (Claude Code) or writes the tool's
 * configuration file (Codex, OpenCode), and starts nothing.
 */
@Command(name = "launch", description = "Run Claude Code, Codex or OpenCode against mica with a local model.")
final class LaunchCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "TOOL", description = "claude, codex or opencode")
    String tool;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "The model the tool should use.")
    String model;

    @Option(names = "--config", description = "Only print (claude) or write (codex, opencode) the configuration.")
    boolean configOnly;

    @Option(names = "--insecure", description = "Use plain HTTP for a registry named in MODEL when pulling.")
    boolean insecure;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARGS", description = "Passed to the tool (after --).")
    List<String> toolArgs = new ArrayList<>();

    LaunchCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Tool t = Tool.of(tool);
        String server = cli.server().toString();
        Map<String, String> env = t.environment(server, model, cli.apiKey());
        if (configOnly) {
            printConfig(t, server, env);
            return 0;
        }
        Path program = Programs.which(cli.env(), t.program);
        if (program == null) {
            throw new CliException(t.title + " is not installed (no '" + t.program + "' on the PATH): install it with `" + t.install + "`", CliException.NOT_FOUND);
        }
        Client client = cli.connect();
        Models.ensure(cli, client, model, insecure);
        if (t == Tool.OPENCODE) {
            Path file = OpenCodeConfig.file(cli.env(), cli.userHome());
            OpenCodeConfig.write(file, server, model, cli.apiKey());
            cli.err().println("added the mica provider with " + model + " to " + file);
        } else if (t == Tool.CODEX) {
            Path file = CodexConfig.file(cli.env(), cli.userHome());
            CodexConfig.write(file, server, model, cli.apiKey());
            cli.err().println("set the mica profile to " + model + " in " + file);
        }
        List<String> command = new ArrayList<>();
        command.add(program.toString());
        command.addAll(t.arguments(model));
        command.addAll(toolArgs);
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().clear();
        pb.environment().putAll(cli.env());
        pb.environment().keySet().removeIf(name -> t.unset().stream().anyMatch(name::equalsIgnoreCase));
        pb.environment().putAll(env);
        Process p = pb.start();
        return p.waitFor();
    }

    private void printConfig(Tool t, String server, Map<String, String> env) throws IOException {
        if (t == Tool.OPENCODE) {
            Path file = OpenCodeConfig.file(cli.env(), cli.userHome());
            String text = OpenCodeConfig.write(file, server, model, cli.apiKey());
            cli.out().println("# wrote " + file);
            cli.out().print(text);
            cli.out().println("# then: opencode " + String.join(" ", t.arguments(model)));
            return;
        }
        if (t == Tool.CODEX) {
            // Only mica's tables: the rest of the file is the user's and may hold tokens.
            Path file = CodexConfig.file(cli.env(), cli.userHome());
            String tables = CodexConfig.write(file, server, model, cli.apiKey());
            cli.out().println("# wrote these tables to " + file);
            cli.out().print(tables);
            env.forEach((k, v) -> cli.out().println("export " + k + "=" + shellQuote(v)));
            cli.out().println("# then: codex " + String.join(" ", t.arguments(model)));
            return;
        }
        cli.out().println("# " + t.title + " against mica: run these in your shell, then `" + t.program + " " + String.join(" ", t.arguments(model)) + "`");
        env.forEach((k, v) -> cli.out().println("export " + k + "=" + shellQuote(v)));
        t.unset().forEach(k -> cli.out().println("unset " + k));
    }

    static String shellQuote(String v) {
        return v.matches("[A-Za-z0-9_./:@%+=,-]+") ? v : "'" + v.replace("'", "'\\''") + "'";
    }
}
