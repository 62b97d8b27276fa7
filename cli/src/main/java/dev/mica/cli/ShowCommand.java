package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mica show MODEL}: details, or one part with a flag. */
@Command(name = "show", description = "Show information about a model.")
final class ShowCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @ArgGroup(exclusive = true)
    Part part;

    static final class Part {
        @Option(names = "--modelfile", description = "Show the Modelfile.") boolean modelfile;
        @Option(names = "--parameters", description = "Show the parameters.") boolean parameters;
        @Option(names = "--template", description = "Show the template.") boolean template;
        @Option(names = "--system", description = "Show the system prompt.") boolean system;
        @Option(names = "--license", description = "Show the license.") boolean license;
    }

    ShowCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        JsonNode s = Models.show(cli.connect(), model);
        if (part != null) {
            String field = part.modelfile ? "modelfile" : part.parameters ? "parameters" : part.template ? "template" : part.license ? "license" : "system";
            cli.out().println(s.path(field).asText(""));
            return 0;
        }
        PrintWriter out = new PrintWriter(cli.out());
        print(out, s);
        out.flush();
        return 0;
    }

    /** The overview `ollama show` prints: model facts, capabilities, parameters, system prompt. */
    static void print(PrintWriter out, JsonNode s) {
        JsonNode d = s.path("details");
        JsonNode info = s.path("model_info");
        String arch = info.path("general.architecture").asText(d.path("family").asText(""));
        List<String[]> model = new ArrayList<>();
        model.add(new String[] {"architecture", arch});
        model.add(new String[] {"parameters", d.path("parameter_size").asText("")});
        if (info.has(arch + ".context_length")) model.add(new String[] {"context length", info.path(arch + ".context_length").asText()});
        if (info.has(arch + ".embedding_length")) model.add(new String[] {"embedding length", info.path(arch + ".embedding_length").asText()});
        model.add(new String[] {"quantization", d.path("quantization_level").asText("")});
        section(out, "Model", model);
        List<String[]> caps = new ArrayList<>();
        s.path("capabilities").forEach(c -> caps.add(new String[] {c.asText()}));
        section(out, "Capabilities", caps);
        List<String[]> params = new ArrayList<>();
        s.path("parameters").asText("").lines().filter(l -> !l.isBlank()).forEach(l -> {
            String[] kv = l.strip().split("\\s+", 2);
            params.add(kv.length == 2 ? kv : new String[] {kv[0], ""});
        });
        section(out, "Parameters", params);
        String system = s.path("system").asText("");
        if (!system.isBlank()) {
            out.println("  System");
            system.lines().forEach(l -> out.println("    " + l));
            out.println();
        }
    }

    private static void section(PrintWriter out, String title, List<String[]> rows) {
        if (rows.isEmpty()) return;
        out.println("  " + title);
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        for (String[] r : rows) {
            out.println(("    " + r[0] + (r.length > 1 ? " ".repeat(width - r[0].length() + 4) + r[1] : "")).stripTrailing());
        }
        out.println();
    }
}
