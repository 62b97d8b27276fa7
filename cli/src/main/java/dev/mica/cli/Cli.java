package dev.mica.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where a command runs: its streams and whether they are terminals, the environment, the user's
 * home and the distribution folder, and the server it talks to. Commands get everything from here,
 * so tests run them with captured streams, a made-up environment and a server on loopback.
 *
 * @param home the distribution folder ({@code mica.home}: its {@code bin/mica} starts a server), or null
 * @param userHome where {@code .mica/} (history, server log) and tool configurations live
 */
record Cli(PrintStream out, PrintStream err, InputStream in, boolean stdinTerminal, boolean stdoutTerminal, boolean stderrTerminal,
        Map<String, String> env, Path home, Path userHome, Duration startTimeout) {

    static Cli system() {
        String home = System.getProperty("mica.home");
        return new Cli(System.out, System.err, System.in, Tty.isTerminal(0), Tty.isTerminal(1), Tty.isTerminal(2), System.getenv(),
                home == null ? null : Path.of(home), Path.of(System.getProperty("user.home")), Duration.ofSeconds(60));
    }

    /** MICA_HOST in Ollama's OLLAMA_HOST forms: "host:port", ":port", "host", "http://host:port". */
    URI server() {
        String host = env.getOrDefault("MICA_HOST", System.getProperty("mica.host", "127.0.0.1:11434")).strip();
        if (host.startsWith("http://") || host.startsWith("https://")) return URI.create(host.endsWith("/") ? host.substring(0, host.length() - 1) : host);
        if (host.startsWith(":")) host = "127.0.0.1" + host;
        if (host.startsWith("0.0.0.0")) host = "127.0.0.1" + host.substring(7); // a wildcard bind is reached on loopback
        if (!host.contains(":")) host = host + ":11434";
        return URI.create("http://" + host);
    }

    /** The key the server wants when it was started with MICA_API_KEY. */
    String apiKey() {
        return env.get("MICA_API_KEY");
    }

    /** A client of the server, which must already run. */
    Client client() {
        return new Client(server(), apiKey(), Duration.ofSeconds(3));
    }

    /** A client of a running server: one is started in the background when none answers (see {@link Autostart}). */
    Client connect() {
        Client c = client();
        new Autostart(this).ensure(c);
        return c;
    }

    /** {@code ~/.mica}, for the chat history and the background server's log. */
    Path micaDir() {
        return userHome.resolve(".mica");
    }
}
