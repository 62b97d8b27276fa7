package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code mica list}: the models the server has, newest first. */
@Command(name = "list", aliases = "ls", description = "List models.")
final class ListCommand implements Callable<Integer> {
    private final Cli cli;

    ListCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        JsonNode tags = cli.connect().get("/api/tags");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "ID", "SIZE", "MODIFIED"});
        Instant now = Instant.now();
        for (JsonNode m : tags.path("models")) {
            rows.add(new String[] {m.path("name").asText(), Format.shortId(m.path("digest").asText()), Format.bytes(m.path("size").asLong()),
                    Format.age(instant(m.path("modified_at").asText(null)), now)});
        }
        Format.table(cli.out(), rows);
        return 0;
    }

    static Instant instant(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
