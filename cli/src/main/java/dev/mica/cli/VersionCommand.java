package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** {@code mica version}: this client's version and, when one runs, the server's. Starts no server. */
@Command(name = "version", description = "Show the client's and the running server's version.")
final class VersionCommand implements Callable<Integer> {
    private final Cli cli;

    VersionCommand(Cli cli) {
        this.cli = cli;
    }

    static String clientVersion() {
        String v = Mica.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    @Override
    public Integer call() {
        try {
            JsonNode v = cli.client().get("/api/version");
            cli.out().println("mica version is " + v.path("version").asText());
            if (!v.path("version").asText().equals(clientVersion())) {
                cli.out().println("Warning: client version is " + clientVersion());
            }
        } catch (IOException e) {
            cli.out().println("Warning: could not connect to a running mica server");
            cli.out().println("Warning: client version is " + clientVersion());
        }
        return 0;
    }

    /** For {@code mica --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"mica version " + clientVersion()};
        }
    }
}
