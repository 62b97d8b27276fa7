package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;

/**
 * The interactive chat of {@code mica run MODEL}: line editing and a history file through JLine,
 * multi-line input between {@code """}, and Ollama's slash commands ({@code /set}, {@code /show},
 * {@code /load}, {@code /clear}, {@code /bye}, {@code /?}). Ctrl-C cancels an answer being written
 * (or says how to leave, on an empty line); Ctrl-D on an empty line leaves.
 */
final class ChatSession {
    static final String HELP = """
            Available Commands:
              /set            Set session variables
              /show           Show model information
              /load <model>   Load a session or model
              /clear          Clear session context
              /bye            Exit
              /?, /help       Help for a command

            Use \"\"\" to begin a multi-line message.
            """;
    static final String SET_HELP = """
            Available Commands:
              /set parameter ...     Set a parameter
              /set system <string>   Set system message
              /set format json       Enable JSON mode
              /set noformat          Disable formatting
              /set think             Enable thinking
              /set nothink           Disable thinking
              /set verbose           Show LLM stats
              /set quiet             Disable LLM stats
            """;
    static final String SHOW_HELP = """
            Available Commands:
              /show info         Show details for this model
              /show license      Show model license
              /show modelfile    Show Modelfile for this model
              /show parameters   Show parameters for this model
              /show system       Show system message
              /show template     Show prompt template
            """;

    private final Cli cli;
    private final Chat chat;
    private final Path history;

    ChatSession(Cli cli, Chat chat, Path history) {
        this.cli = cli;
        this.chat = chat;
        this.history = history;
    }

    int run(Terminal terminal) throws IOException {
        if (history != null) Files.createDirectories(history.getParent());
        LineReaderBuilder b = LineReaderBuilder.builder().terminal(terminal).appName("mica")
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true);
        if (history != null) b.variable(LineReader.HISTORY_FILE, history);
        LineReader reader = b.build();
        PrintWriter out = terminal.writer();
        while (true) {
            String input;
            try {
                input = read(reader);
            } catch (UserInterruptException e) {
                out.println("Use Ctrl + d or /bye to exit.");
                out.flush();
                continue;
            } catch (EndOfFileException e) {
                out.println();
                out.flush();
                return 0;
            }
            if (input == null) continue;
            String trimmed = input.strip();
            if (trimmed.isEmpty()) continue;
            if (trimmed.startsWith("/") && !input.startsWith("\"\"\"")) {
                if (!command(trimmed, out)) return 0;
                continue;
            }
            answer(input, terminal, out);
        }
    }

    /** One message: a line, or the lines between {@code """} and {@code """}. */
    private static String read(LineReader reader) {
        String line = reader.readLine(">>> ");
        if (!line.stripLeading().startsWith("\"\"\"")) return line;
        String first = line.stripLeading().substring(3);
        if (first.stripTrailing().endsWith("\"\"\"")) {
            String s = first.stripTrailing();
            return s.substring(0, s.length() - 3);
        }
        StringBuilder sb = new StringBuilder(first);
        while (true) {
            String next = reader.readLine("... ");
            if (next.stripTrailing().endsWith("\"\"\"")) {
                String s = next.stripTrailing();
                String last = s.substring(0, s.length() - 3);
                // A closing """ on a line of its own ends the message; it adds no empty line.
                if (!last.isBlank()) sb.append(sb.isEmpty() ? "" : "\n").append(last);
                return sb.toString();
            }
            if (!sb.isEmpty() || !first.isEmpty()) sb.append('\n');
            sb.append(next);
        }
    }

    private void answer(String text, Terminal terminal, PrintWriter out) {
        Client.Cancel cancel = new Client.Cancel();
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> cancel.cancel());
        try {
            chat.send(text, out, cancel);
            out.println();
        } catch (IOException e) {
            out.flush();
            Mica.report(cli, e);
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            out.flush();
        }
    }

    /** Runs a slash command; false means leave. */
    private boolean command(String line, PrintWriter out) {
        String[] w = line.split("\\s+", 3);
        switch (w[0].toLowerCase(Locale.ROOT)) {
            case "/bye", "/exit" -> {
                return false;
            }
            case "/?", "/help" -> out.print(w.length > 1 && w[1].equals("set") ? SET_HELP : w.length > 1 && w[1].equals("show") ? SHOW_HELP : HELP);
            case "/clear" -> {
                chat.clear();
                out.println("Cleared session context");
            }
            case "/set" -> set(line, w, out);
            case "/show" -> show(w, out);
            case "/load" -> load(w, out);
            default -> out.println("Unknown command '" + w[0] + "'. Type /? for help");
        }
        out.flush();
        return true;
    }

    private void set(String line, String[] w, PrintWriter out) {
        if (w.length < 2) {
            out.print(SET_HELP);
            return;
        }
        switch (w[1].toLowerCase(Locale.ROOT)) {
            case "parameter" -> {
                String[] kv = w.length > 2 ? w[2].strip().split("\\s+", 2) : new String[0];
                if (kv.length < 2) {
                    out.println("Usage: /set parameter <name> <value>  (e.g. /set parameter temperature 0.2)");
                    return;
                }
                setParameter(kv[0].toLowerCase(Locale.ROOT), kv[1].strip());
                out.println("Set parameter '" + kv[0] + "' to '" + kv[1].strip() + "'");
            }
            case "system" -> {
                String text = line.strip().substring(line.strip().indexOf(w[1]) + w[1].length()).strip();
                if (text.startsWith("\"") && text.endsWith("\"") && text.length() >= 2) text = text.substring(1, text.length() - 1);
                chat.system(text.isEmpty() ? null : text);
                out.println("Set system message.");
            }
            case "verbose" -> {
                chat.verbose(true);
                out.println("Set 'verbose' mode.");
            }
            case "quiet" -> {
                chat.verbose(false);
                out.println("Set 'quiet' mode.");
            }
            case "format" -> {
                chat.format(w.length > 2 ? w[2].strip() : "json");
                out.println("Set format to '" + (w.length > 2 ? w[2].strip() : "json") + "' mode.");
            }
            case "noformat" -> {
                chat.format(null);
                out.println("Disabled format.");
            }
            case "think" -> {
                chat.think(w.length > 2 ? w[2].strip() : "true");
                out.println("Set 'think' mode.");
            }
            case "nothink" -> {
                chat.think("false");
                out.println("Set 'nothink' mode.");
            }
            default -> out.println("Unknown command '/set " + w[1] + "'. Type /? set for help");
        }
    }

    /** Numbers and booleans as JSON numbers and booleans; {@code stop} accumulates, as in a Modelfile. */
    private void setParameter(String name, String value) {
        var options = chat.options();
        if (name.equals("stop")) {
            var stops = options.has("stop") ? (com.fasterxml.jackson.databind.node.ArrayNode) options.get("stop") : options.putArray("stop");
            for (String s : value.split("\\s+")) stops.add(s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s);
        } else if (value.matches("-?\\d+")) {
            options.put(name, Long.parseLong(value));
        } else if (value.matches("-?\\d*\\.\\d+([eE]-?\\d+)?")) {
            options.put(name, Double.parseDouble(value));
        } else if (value.equals("true") || value.equals("false")) {
            options.put(name, Boolean.parseBoolean(value));
        } else {
            options.put(name, value);
        }
    }

    private void show(String[] w, PrintWriter out) {
        if (w.length < 2) {
            out.print(SHOW_HELP);
            return;
        }
        JsonNode s;
        try {
            s = Models.show(chat.client(), chat.model());
        } catch (IOException e) {
            Mica.report(cli, e);
            return;
        }
        switch (w[1].toLowerCase(Locale.ROOT)) {
            case "info" -> ShowCommand.print(out, s);
            case "license" -> {
                String license = s.path("license").asText("");
                out.println(license.isBlank() ? "No license was specified for this model." : license);
            }
            case "modelfile" -> out.println(s.path("modelfile").asText(""));
            case "parameters" -> {
                String model = s.path("parameters").asText("");
                if (model.isBlank() && chat.options().isEmpty()) {
                    out.println("No parameters were specified for this model.");
                    return;
                }
                if (!model.isBlank()) out.println("Model defined parameters:\n" + model);
                if (!chat.options().isEmpty()) {
                    out.println("User defined parameters:");
                    chat.options().properties().forEach(e -> out.printf("%-30s %s%n", e.getKey(), e.getValue()));
                }
            }
            case "system" -> {
                String system = chat.system() != null ? chat.system() : s.path("system").asText("");
                out.println(system.isBlank() ? "No system message was specified for this model." : system);
            }
            case "template" -> {
                String t = s.path("template").asText("");
                out.println(t.isBlank() ? "No prompt template was specified for this model." : t);
            }
            default -> out.println("Unknown command '/show " + w[1] + "'. Type /? show for help");
        }
    }

    /** Switches to another model, pulled if missing; one that cannot be had leaves the session as it was. */
    private void load(String[] w, PrintWriter out) {
        if (w.length < 2) {
            out.println("Usage: /load <model>");
            return;
        }
        String previous = chat.model();
        try {
            Models.ensure(cli, chat.client(), w[1], false);
            chat.model(w[1]);
            chat.load();
            // As in Ollama: the answers so far were another model's, so the new one starts afresh.
            chat.clear();
            out.println("Loading model '" + w[1] + "'");
        } catch (IOException e) {
            chat.model(previous);
            Mica.report(cli, e);
        }
    }
}
