package dev.mica.cli;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a server in the background when a client verb finds none, as Ollama's CLI does: it runs
 * {@code bin/mica serve} of this distribution in a session of its own (so closing the terminal or
 * Ctrl-C in it leaves the server running), with its output in {@code ~/.mica/logs/server.log},
 * and waits until the server answers. Only for a server on this machine; {@code MICA_NOAUTOSTART}
 * (any value but "0" or "false") turns it off.
 */
final class Autostart {
    private static final long POLL_MS = 100;

    private final Cli cli;

    Autostart(Cli cli) {
        this.cli = cli;
    }

    /** Returns once the server answers; throws a CliException that says what to do otherwise. */
    void ensure(Client client) {
        IOException first = answers(client);
        if (first == null) return;
        String where = client.base().toString();
        if (!(first instanceof ConnectException || first instanceof HttpConnectTimeoutException)) {
            throw new CliException("the server at " + where + " does not answer: " + first.getMessage());
        }
        if (disabled() || !local(client.base().getHost())) {
            throw new CliException("could not connect to a mica server at " + where + ": start one with `mica serve`");
        }
        Path launcher = cli.home() == null ? null : cli.home().resolve("bin").resolve("mica");
        if (launcher == null || !Files.isExecutable(launcher)) {
            throw new CliException("could not connect to a mica server at " + where + ", and cannot start one here (no bin/mica in mica.home): start one with `mica serve`");
        }
        Process server = spawn(launcher, client);
        long deadline = System.nanoTime() + cli.startTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (answers(client) == null) return;
            if (!server.isAlive()) {
                throw new CliException("the mica server stopped right after it started (exit code " + server.exitValue() + "): see " + log());
            }
            sleep();
        }
        throw new CliException("the mica server did not answer at " + where + " within " + cli.startTimeout().toSeconds() + " s: see " + log());
    }

    /** Null when a server answered at all (an error status still means one runs); else why not. */
    private static IOException answers(Client client) {
        try {
            client.get("/api/version");
            return null;
        } catch (Client.ApiError e) {
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private boolean disabled() {
        String v = cli.env().get("MICA_NOAUTOSTART");
        return v != null && !v.isBlank() && !v.equals("0") && !v.equalsIgnoreCase("false");
    }

    private static boolean local(String host) {
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.isLoopbackAddress() || a.isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    Path log() {
        return cli.micaDir().resolve("logs").resolve("server.log");
    }

    private Process spawn(Path launcher, Client client) {
        List<String> command = new ArrayList<>();
        Path setsid = Programs.which(cli.env(), "setsid");
        if (setsid != null) command.add(setsid.toString());
        command.add(launcher.toString());
        command.add("serve");
        try {
            Files.createDirectories(log().getParent());
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                    .redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(cli.env());
            // The server listens where this client looks, whatever the environment said.
            pb.environment().put("MICA_HOST", client.base().getHost() + ":" + client.base().getPort());
            cli.err().println("starting a mica server at " + client.base() + " (log: " + log() + ")");
            return pb.start();
        } catch (IOException e) {
            throw new CliException("could not start a mica server with " + launcher + ": " + e.getMessage());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for the server");
        }
    }
}
