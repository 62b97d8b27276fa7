package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** What several verbs share: pulling with a progress display, and pulling a model only when it is missing. */
final class Models {
    private Models() {}

    /** Pulls through /api/pull, drawing Ollama's progress on stderr. */
    static void pull(Cli cli, Client client, String model, boolean insecure) throws IOException {
        ProgressDisplay display = new ProgressDisplay(cli.err(), cli.stderrTerminal());
        ObjectNode body = Client.JSON.createObjectNode().put("model", model);
        if (insecure) body.put("insecure", true);
        try {
            client.stream("/api/pull", body, null, display::update);
        } finally {
            display.finish();
        }
    }

    /** The model's /api/show, after pulling it if the server does not have it (as `ollama run` does). */
    static JsonNode ensure(Cli cli, Client client, String model, boolean insecure) throws IOException {
        try {
            return show(client, model);
        } catch (Client.ApiError e) {
            if (e.status() != 404) throw e;
        }
        pull(cli, client, model, insecure);
        return show(client, model);
    }

    static JsonNode show(Client client, String model) throws IOException {
        return client.post("/api/show", Client.JSON.createObjectNode().put("model", model));
    }
}
