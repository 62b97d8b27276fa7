package dev.mica.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code mica} command. {@code serve} boots the kernel in this JVM; every other verb is a
 * client of a running server's HTTP API, as Ollama's CLI is.
 */
public final class Mica {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final PrintStream out;

    Mica(URI base, PrintStream out) {
        this.base = base;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(System.out);
            return;
        }
        if (args[0].equals("serve")) {
            dev.mica.kernel.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Mica cli = new Mica(serverUri(), System.out);
        try {
            System.exit(cli.run(args[0], Arrays.copyOfRange(args, 1, args.length)));
        } catch (ConnectException e) {
            System.err.println("Error: could not connect to a mica server at " + cli.base + ": start one with `mica serve`");
            System.exit(1);
        } catch (UsageException e) {
            System.err.println("Error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** MICA_HOST in Ollama's OLLAMA_HOST forms: "host:port", ":port", "http://host:port". */
    static URI serverUri() {
        String host = System.getenv().getOrDefault("MICA_HOST", System.getProperty("mica.host", "127.0.0.1:11434"));
        if (host.startsWith("http://") || host.startsWith("https://")) return URI.create(host);
        if (host.startsWith(":")) host = "127.0.0.1" + host;
        if (!host.contains(":")) host = host + ":11434";
        return URI.create("http://" + host);
    }

    static void usage(PrintStream out) {
        out.println("""
                Usage: mica COMMAND [ARGS]

                  serve                    start the server (127.0.0.1:11434; MICA_HOST changes it)
                  create NAME -f FILE      register a model from a GGUF file or a Modelfile
                  run NAME [PROMPT]        answer one prompt, or chat on stdin when no prompt is given
                  list | ls                list models
                  ps                       list loaded models
                  show NAME [--modelfile|--template|--parameters|--system]
                  rm NAME...               delete models
                  cp SOURCE TARGET         copy a model
                  stop NAME                unload a model
                  version                  print the server's version

                mica needs a JDK 25 or newer.""");
    }

    int run(String verb, String[] args) throws IOException, InterruptedException {
        return switch (verb) {
            case "create" -> create(args);
            case "list", "ls" -> list();
            case "ps" -> ps();
            case "show" -> show(args);
            case "rm" -> rm(args);
            case "cp" -> cp(args);
            case "stop" -> stop(args);
            case "run" -> runModel(args);
            case "version", "--version", "-v" -> version();
            default -> throw new UsageException("unknown command '" + verb + "'; see `mica help`");
        };
    }

    private int create(String[] args) throws IOException, InterruptedException {
        String name = null;
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("-f") || args[i].equals("--file")) && i + 1 < args.length) file = Path.of(args[++i]);
            else if (name == null && !args[i].startsWith("-")) name = args[i];
            else throw new UsageException("unexpected argument '" + args[i] + "'");
        }
        if (name == null) throw new UsageException("usage: mica create NAME -f FILE");
        if (file == null) file = Path.of("Modelfile");
        if (!Files.isRegularFile(file)) throw new UsageException("no such file: " + file);
        ObjectNode body;
        if (isGguf(file)) {
            body = JSON.createObjectNode().put("from", file.toAbsolutePath().normalize().toString());
        } else {
            body = Modelfile.parse(Files.readString(file), file.toAbsolutePath().getParent()).toRequest(JSON);
        }
        body.put("model", name);
        return stream("/api/create", body, node -> {
            if (node.has("status")) out.println(node.get("status").asText());
        });
    }

    private static boolean isGguf(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private int list() throws IOException, InterruptedException {
        JsonNode tags = get("/api/tags");
        if (tags == null) return 1;
        out.printf("%-40s %-14s %-10s %s%n", "NAME", "ID", "SIZE", "MODIFIED");
        for (JsonNode m : tags.path("models")) {
            out.printf("%-40s %-14s %-10s %s%n", m.path("name").asText(), shortId(m.path("digest").asText()), bytes(m.path("size").asLong()), m.path("modified_at").asText());
        }
        return 0;
    }

    private int ps() throws IOException, InterruptedException {
        JsonNode ps = get("/api/ps");
        if (ps == null) return 1;
        out.printf("%-40s %-14s %-10s %-10s %-8s %s%n", "NAME", "ID", "SIZE", "BACKEND", "CONTEXT", "UNTIL");
        for (JsonNode m : ps.path("models")) {
            out.printf("%-40s %-14s %-10s %-10s %-8s %s%n", m.path("name").asText(), shortId(m.path("digest").asText()), bytes(m.path("size").asLong()),
                    m.path("backend").asText("-"), m.path("context_length").asText(), m.path("expires_at").asText("forever"));
        }
        return 0;
    }

    private int show(String[] args) throws IOException, InterruptedException {
        if (args.length == 0) throw new UsageException("usage: mica show NAME");
        JsonNode s = post("/api/show", JSON.createObjectNode().put("model", args[0]));
        if (s == null) return 1;
        String flag = args.length > 1 ? args[1] : "";
        switch (flag) {
            case "--modelfile" -> out.println(s.path("modelfile").asText());
            case "--template" -> out.println(s.path("template").asText());
            case "--parameters" -> out.println(s.path("parameters").asText());
            case "--system" -> out.println(s.path("system").asText());
            default -> {
                JsonNode d = s.path("details");
                JsonNode info = s.path("model_info");
                out.println("  Model");
                out.printf("    %-20s %s%n", "architecture", d.path("family").asText());
                out.printf("    %-20s %s%n", "parameters", d.path("parameter_size").asText());
                out.printf("    %-20s %s%n", "context length", info.path(d.path("family").asText() + ".context_length").asText("-"));
                out.printf("    %-20s %s%n", "quantization", d.path("quantization_level").asText());
                out.println("\n  Capabilities");
                s.path("capabilities").forEach(c -> out.println("    " + c.asText()));
                if (!s.path("parameters").asText().isEmpty()) {
                    out.println("\n  Parameters");
                    s.path("parameters").asText().lines().forEach(l -> out.println("    " + l));
                }
            }
        }
        return 0;
    }

    private int rm(String[] args) throws IOException, InterruptedException {
        if (args.length == 0) throw new UsageException("usage: mica rm NAME...");
        int rc = 0;
        for (String name : args) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/api/delete")).method("DELETE", body(JSON.createObjectNode().put("model", name))));
            if (r.statusCode() == 200) out.println("deleted '" + name + "'");
            else rc = error(r);
        }
        return rc;
    }

    private int cp(String[] args) throws IOException, InterruptedException {
        if (args.length != 2) throw new UsageException("usage: mica cp SOURCE TARGET");
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/api/copy")).POST(body(JSON.createObjectNode().put("source", args[0]).put("destination", args[1]))));
        if (r.statusCode() != 200) return error(r);
        out.println("copied '" + args[0] + "' to '" + args[1] + "'");
        return 0;
    }

    private int stop(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) throw new UsageException("usage: mica stop NAME");
        return stream("/api/generate", JSON.createObjectNode().put("model", args[0]).put("keep_alive", 0), node -> {});
    }

    private int version() throws IOException, InterruptedException {
        JsonNode v = get("/api/version");
        if (v == null) return 1;
        out.println("mica version " + v.path("version").asText());
        return 0;
    }

    /** One-shot with a prompt (or piped stdin); otherwise a line-by-line chat until /bye or EOF. */
    private int runModel(String[] args) throws IOException, InterruptedException {
        if (args.length == 0) throw new UsageException("usage: mica run NAME [PROMPT]");
        String model = args[0];
        String prompt = String.join(" ", Arrays.copyOfRange(args, 1, args.length));
        if (prompt.isEmpty() && System.console() == null) {
            prompt = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        if (!prompt.isEmpty()) {
            var messages = JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").put("content", prompt));
            int rc = stream("/api/chat", JSON.createObjectNode().put("model", model).set("messages", messages), this::printContent);
            out.println();
            return rc;
        }
        var messages = JSON.createArrayNode();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            out.print(">>> ");
            out.flush();
            String line = in.readLine();
            if (line == null || line.strip().equals("/bye")) return 0;
            if (line.isBlank()) continue;
            messages.add(JSON.createObjectNode().put("role", "user").put("content", line));
            StringBuilder answer = new StringBuilder();
            int rc = stream("/api/chat", JSON.createObjectNode().put("model", model).set("messages", messages), node -> {
                printContent(node);
                answer.append(node.path("message").path("content").asText(""));
            });
            out.println("\n");
            if (rc != 0) return rc;
            messages.add(JSON.createObjectNode().put("role", "assistant").put("content", answer.toString()));
        }
    }

    private void printContent(JsonNode node) {
        out.print(node.path("message").path("content").asText(""));
        out.flush();
    }

    // --- HTTP plumbing -----------------------------------------------------------------------

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).GET());
        if (r.statusCode() != 200) {
            error(r);
            return null;
        }
        return JSON.readTree(r.body());
    }

    private JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).POST(body(body)));
        if (r.statusCode() != 200) {
            error(r);
            return null;
        }
        return JSON.readTree(r.body());
    }

    /** Posts and reads an NDJSON stream line by line; an {"error"} line ends it with exit code 1. */
    private int stream(String path, ObjectNode body, java.util.function.Consumer<JsonNode> each) throws IOException, InterruptedException {
        HttpResponse<Stream<String>> r = http.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json").POST(body(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = r.body()) {
            if (r.statusCode() != 200) {
                String text = String.join("\n", lines.toList());
                System.err.println("Error: " + errorMessage(text));
                return 1;
            }
            for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                if (line.isBlank()) continue;
                JsonNode node = JSON.readTree(line);
                if (node.has("error")) {
                    System.err.println("\nError: " + node.get("error").asText());
                    return 1;
                }
                each.accept(node);
            }
        }
        return 0;
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.BodyPublisher body(JsonNode node) throws IOException {
        return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(node));
    }

    private static int error(HttpResponse<String> r) {
        System.err.println("Error: " + errorMessage(r.body()));
        return 1;
    }

    private static String errorMessage(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode e = n.path("error");
            return e.isTextual() ? e.asText() : e.path("message").asText(body);
        } catch (IOException e) {
            return body;
        }
    }

    private static String shortId(String digest) {
        String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.1f GB", n / 1e9);
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.0f MB", n / 1e6);
        if (n >= 1L << 10) return String.format(Locale.ROOT, "%.0f KB", n / 1e3);
        return n + " B";
    }

    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
