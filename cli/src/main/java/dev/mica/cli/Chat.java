package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * One conversation with a model through {@code /api/chat}: the messages so far, the session's
 * options and system prompt, and how answers are shown (thinking, verbose timings). Used by the
 * one-shot {@code mica run MODEL PROMPT} and by the interactive {@link ChatSession}.
 */
final class Chat {
    private final Cli cli;
    private final Client client;
    private String model;
    private final ArrayNode messages = Client.JSON.createArrayNode();
    private final ObjectNode options = Client.JSON.createObjectNode();
    private String system;
    private boolean verbose;
    private String format;
    private String think;
    private final boolean hideThinking;
    private final String keepAlive;

    Chat(Cli cli, Client client, String model, boolean verbose, String format, String think, boolean hideThinking, String keepAlive) {
        this.cli = cli;
        this.client = client;
        this.model = model;
        this.verbose = verbose;
        this.format = format;
        this.think = think;
        this.hideThinking = hideThinking;
        this.keepAlive = keepAlive;
    }

    String model() {
        return model;
    }

    void model(String m) {
        model = m;
    }

    Client client() {
        return client;
    }

    ObjectNode options() {
        return options;
    }

    String system() {
        return system;
    }

    void system(String s) {
        system = s;
    }

    void verbose(boolean v) {
        verbose = v;
    }

    void format(String f) {
        format = f;
    }

    void think(String t) {
        think = t;
    }

    void clear() {
        messages.removeAll();
    }

    int messageCount() {
        return messages.size();
    }

    /** Loads the model (an empty chat), with a spinner on a terminal, as Ollama does before the first prompt. */
    void load() throws IOException {
        ObjectNode body = body(Client.JSON.createArrayNode());
        try (Spinner s = Spinner.start(cli.err(), cli.stderrTerminal(), "loading " + model)) {
            client.stream("/api/chat", body, null, node -> { });
        }
    }

    /**
     * Sends the user's message and shows the answer as it streams, with a spinner on a terminal
     * until there is something to show (the model may be loading, the prompt being read). A
     * cancelled answer (Ctrl-C) is dropped from the conversation, with the message that asked for it.
     */
    void send(String text, PrintWriter out, Client.Cancel cancelOrNull) throws IOException {
        Client.Cancel cancel = cancelOrNull != null ? cancelOrNull : new Client.Cancel();
        messages.addObject().put("role", "user").put("content", text);
        StringBuilder answer = new StringBuilder();
        JsonNode[] done = new JsonNode[1];
        try (Spinner waiting = Spinner.start(cli.err(), cli.stderrTerminal(), "")) {
            Shown shown = new Shown(out, cli.stdoutTerminal(), cancel, waiting);
            try {
                client.stream("/api/chat", body(messages), cancel, node -> {
                    shown.chunk(node.path("message"), answer);
                    if (node.path("done").asBoolean(false)) done[0] = node;
                });
            } catch (IOException | RuntimeException e) {
                messages.remove(messages.size() - 1);
                throw e;
            }
            shown.end();
        }
        if (cancel.cancelled()) {
            messages.remove(messages.size() - 1);
            return;
        }
        messages.addObject().put("role", "assistant").put("content", answer.toString());
        if (verbose && done[0] != null) stats(done[0]);
    }

    private ObjectNode body(ArrayNode msgs) {
        ObjectNode body = Client.JSON.createObjectNode().put("model", model);
        ArrayNode all = body.putArray("messages");
        if (system != null && !msgs.isEmpty()) all.addObject().put("role", "system").put("content", system);
        all.addAll(msgs);
        if (!options.isEmpty()) body.set("options", options);
        if (format != null && !format.isEmpty()) body.put("format", format);
        if (think != null) {
            switch (think.toLowerCase(Locale.ROOT)) {
                case "true" -> body.put("think", true);
                case "false" -> body.put("think", false);
                default -> body.put("think", think);
            }
        }
        if (keepAlive != null) body.put("keep_alive", keepAlive);
        return body;
    }

    /** Ollama's --verbose block, on stderr so the answer on stdout stays clean. */
    private void stats(JsonNode d) {
        var err = cli.err();
        err.printf(Locale.ROOT, "%-22s%s%n", "total duration:", Format.duration(d.path("total_duration").asLong()));
        err.printf(Locale.ROOT, "%-22s%s%n", "load duration:", Format.duration(d.path("load_duration").asLong()));
        rate(err, "prompt eval", d.path("prompt_eval_count").asLong(), d.path("prompt_eval_duration").asLong());
        rate(err, "eval", d.path("eval_count").asLong(), d.path("eval_duration").asLong());
    }

    private static void rate(java.io.PrintStream err, String what, long count, long nanos) {
        err.printf(Locale.ROOT, "%-22s%d token(s)%n", what + " count:", count);
        err.printf(Locale.ROOT, "%-22s%s%n", what + " duration:", Format.duration(nanos));
        if (nanos > 0) err.printf(Locale.ROOT, "%-22s%.2f tokens/s%n", what + " rate:", count * 1e9 / nanos);
    }

    /**
     * Writes thinking (dimmed on a terminal, between "Thinking..." and "...done thinking.") and
     * content; stops the spinner before the first of it, since both share the screen.
     */
    private final class Shown {
        private final PrintWriter out;
        private final boolean terminal;
        private final Client.Cancel cancel;
        private final Spinner waiting;
        private boolean thinking;
        private boolean any;
        private boolean endsWithNewline = true;

        Shown(PrintWriter out, boolean terminal, Client.Cancel cancel, Spinner waiting) {
            this.out = out;
            this.terminal = terminal;
            this.cancel = cancel;
            this.waiting = waiting;
        }

        void chunk(JsonNode message, StringBuilder answer) {
            String t = message.path("thinking").asText("");
            String c = message.path("content").asText("");
            if (!t.isEmpty() && !hideThinking) {
                waiting.close();
                if (!thinking) {
                    out.print(terminal ? "\033[2mThinking...\n" : "Thinking...\n");
                    thinking = true;
                }
                write(t);
            }
            if (!c.isEmpty()) {
                waiting.close();
                if (thinking) {
                    out.print(terminal ? "\n...done thinking.\033[0m\n\n" : "\n...done thinking.\n\n");
                    thinking = false;
                }
                answer.append(c);
                write(c);
            }
            out.flush();
            // Nobody reads any more (`mica run m "..." | head`): stop, and the server stops generating.
            if (out.checkError()) cancel.cancel();
        }

        private void write(String s) {
            out.print(s);
            any = true;
            endsWithNewline = s.endsWith("\n");
        }

        void end() {
            waiting.close();
            if (thinking && terminal) out.print("\033[0m");
            if (any && !endsWithNewline) out.println();
            out.flush();
        }
    }
}
