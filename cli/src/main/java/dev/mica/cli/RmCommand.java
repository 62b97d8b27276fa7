package dev.mica.cli;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mica rm MODEL...}: deletes each; the exit code is 1 if any could not be deleted. */
@Command(name = "rm", description = "Remove models.")
final class RmCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(paramLabel = "MODEL", arity = "1..*")
    List<String> models;

    RmCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        Client client = cli.connect();
        int rc = 0;
        for (String model : models) {
            try {
                client.delete("/api/delete", Client.JSON.createObjectNode().put("model", model));
                cli.out().println("deleted '" + model + "'");
            } catch (IOException e) {
                rc = Mica.report(cli, e);
            }
        }
        return rc;
    }
}
