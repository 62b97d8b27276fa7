package dev.mica.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mica run MODEL [PROMPT]}: pulls the model when the server lacks it, then answers the
 * prompt (arguments, and stdin when it is not a terminal, as Ollama joins them) or, on a terminal
 * without a prompt, opens the interactive chat.
 */
@Command(name = "run", description = "Run a model: answer PROMPT (or stdin), or chat interactively.")
final class RunCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PROMPT")
    List<String> prompt = new ArrayList<>();

    @Option(names = "--verbose", description = "Show timings and token rates.")
    boolean verbose;

    @Option(names = "--keepalive", paramLabel = "DURATION", description = "How long the model stays loaded (e.g. 5m, 1h, -1).")
    String keepAlive;

    @Option(names = "--format", paramLabel = "FORMAT", description = "Response format (json).")
    String format;

    @Option(names = "--think", arity = "0..1", fallbackValue = "true", paramLabel = "LEVEL", description = "Let a thinking model think (true, false, low, medium, high).")
    String think;

    @Option(names = "--hidethinking", description = "Do not show the thinking.")
    boolean hideThinking;

    @Option(names = "--insecure", description = "Use plain HTTP for a registry named in MODEL when pulling.")
    boolean insecure;

    RunCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        Client client = cli.connect();
        Models.ensure(cli, client, model, insecure);
        Chat chat = new Chat(cli, client, model, verbose, format, think, hideThinking, keepAlive);
        List<String> parts = new ArrayList<>();
        if (!cli.stdinTerminal()) {
            String piped = new String(cli.in().readAllBytes(), StandardCharsets.UTF_8);
            if (!piped.isBlank()) parts.add(piped);
        }
        parts.addAll(prompt);
        String text = String.join(" ", parts);
        if (!text.isBlank()) {
            PrintWriter out = new PrintWriter(cli.out());
            chat.send(text, out, null);
            out.flush();
            return 0;
        }
        chat.load();
        if (!cli.stdinTerminal()) return 0; // nothing was asked
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            return new ChatSession(cli, chat, cli.micaDir().resolve("history")).run(terminal);
        }
    }
}
