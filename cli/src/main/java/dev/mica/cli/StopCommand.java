package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mica stop MODEL}: unloads a loaded model. Starts no server: without one nothing runs. */
@Command(name = "stop", description = "Stop (unload) a running model.")
final class StopCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    StopCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        Client client = cli.client();
        JsonNode ps;
        try {
            ps = client.get("/api/ps");
        } catch (ConnectException e) {
            throw new CliException("no mica server is running at " + client.base() + ", so no model runs");
        }
        String wanted = model.contains(":") ? model : model + ":latest";
        boolean running = false;
        for (JsonNode m : ps.path("models")) {
            String name = m.path("name").asText();
            running |= name.equals(model) || name.equals(wanted);
        }
        if (!running) throw new CliException("model '" + model + "' is not running");
        client.stream("/api/generate", Client.JSON.createObjectNode().put("model", model).put("keep_alive", 0), null, node -> { });
        return 0;
    }
}
