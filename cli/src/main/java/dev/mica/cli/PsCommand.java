package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code mica ps}: the loaded models. With no server running nothing is loaded, so none is started. */
@Command(name = "ps", description = "List loaded models.")
final class PsCommand implements Callable<Integer> {
    private final Cli cli;

    PsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "ID", "SIZE", "BACKEND", "CONTEXT", "UNTIL"});
        JsonNode ps;
        try {
            ps = cli.client().get("/api/ps");
        } catch (ConnectException e) {
            Format.table(cli.out(), rows);
            return 0;
        }
        Instant now = Instant.now();
        for (JsonNode m : ps.path("models")) {
            Instant until = ListCommand.instant(m.path("expires_at").asText(null));
            rows.add(new String[] {m.path("name").asText(), Format.shortId(m.path("digest").asText()), Format.bytes(m.path("size").asLong()),
                    m.path("backend").asText("-"), m.path("context_length").asText("-"), until == null ? "Forever" : Format.age(until, now)});
        }
        Format.table(cli.out(), rows);
        return 0;
    }
}
