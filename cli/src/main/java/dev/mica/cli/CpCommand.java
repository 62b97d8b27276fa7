package dev.mica.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mica cp SOURCE DESTINATION}. */
@Command(name = "cp", description = "Copy a model.")
final class CpCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "SOURCE")
    String source;

    @Parameters(index = "1", paramLabel = "DESTINATION")
    String destination;

    CpCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        cli.connect().post("/api/copy", Client.JSON.createObjectNode().put("source", source).put("destination", destination));
        cli.out().println("copied '" + source + "' to '" + destination + "'");
        return 0;
    }
}
