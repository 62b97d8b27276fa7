package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.cli.FakeServer.Answer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each verb against a stand-in server: what it sends, what it prints, its exit code. */
class CommandsTest {
    private static final String DIGEST = "sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";

    @TempDir Path dir;
    private FakeServer server;
    private CliRun cli;

    @BeforeEach
    void start() throws Exception {
        server = new FakeServer();
        cli = new CliRun(server.host(), dir.resolve("home"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void listPrintsATableNewestFirstAsTheServerSorts() {
        String modified = Instant.now().minus(3, ChronoUnit.DAYS).toString();
        server.on("GET /api/tags", r -> Answer.json("{\"models\":[{\"name\":\"llama3.2:1b\",\"digest\":\"" + DIGEST + "\",\"size\":1321082688,"
                + "\"modified_at\":\"" + modified + "\"},{\"name\":\"stories:latest\",\"digest\":\"sha256:0123456789abcdef\",\"size\":1185,\"modified_at\":\"" + modified + "\"}]}"));
        CliRun.Result r = cli.run("list");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("NAME              ID              SIZE      MODIFIED", lines.get(0));
        assertEquals("llama3.2:1b       a80c4f17acd5    1.3 GB    3 days ago", lines.get(1));
        assertEquals("stories:latest    0123456789ab    1.2 KB    3 days ago", lines.get(2));
        assertEquals(r.out(), cli.run("ls").out(), "ls is list");
    }

    @Test
    void cacheShowsEachArmAgainstTheControl() {
        server.on("GET /api/mica/cache", r -> Answer.json("{\"arms\":[{\"arm\":\"control\",\"policy\":\"lru\",\"weight\":1,\"requests\":10,"
                + "\"hit_rate\":0.4,\"ttft_p50_ms\":120,\"ttft_p95_ms\":300,\"evictions\":3,\"hit_ratio_difference\":{\"estimate\":0,\"low\":0,\"high\":0}},"
                + "{\"arm\":\"test\",\"policy\":\"gdsf\",\"weight\":1,\"requests\":12,\"hit_rate\":0.6,\"ttft_p50_ms\":80,\"ttft_p95_ms\":250,"
                + "\"evictions\":1,\"hit_ratio_difference\":{\"estimate\":0.2,\"low\":0.05,\"high\":null}}]}"));
        CliRun.Result r = cli.run("cache");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("ARM"), r.out());
        assertTrue(lines.get(1).contains("control") && lines.get(1).contains("40.0%") && lines.get(1).contains("120 ms"), r.out());
        assertTrue(lines.get(2).contains("+20.0% [+5.0%, ?]"), r.out());
    }

    @Test
    void cacheReplayPostsTheTraceAndWritesThePlot() throws Exception {
        Path trace = dir.resolve("trace.jsonl");
        Files.writeString(trace, "{\"t\":1}\n{\"t\":2}\n");
        server.on("POST /api/mica/cache/replay", r -> Answer.json("{\"rows\":[{\"policy\":\"lru\",\"budget_tokens\":4096,\"requests\":2,"
                + "\"prompt_tokens\":100,\"reused_tokens\":40,\"hit_rate\":0.4,\"evictions\":0}],\"svg\":\"<svg/>\"}"));
        Path plot = dir.resolve("plot.svg");
        CliRun.Result r = cli.run("cache", "replay", trace.toString(), "--policies", "lru", "--budget", "4096", "--plot", plot.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("40.0%"), r.out());
        assertEquals("<svg/>", Files.readString(plot));
        var sent = server.requests("POST /api/mica/cache/replay").getFirst().body();
        assertEquals("lru", sent.path("policies").get(0).asText());
        assertEquals(4096, sent.path("budgets").get(0).asLong());
        assertEquals("{\"t\":1}\n{\"t\":2}\n", sent.path("trace").asText());
        assertEquals(1, cli.run("cache", "replay", dir.resolve("missing.jsonl").toString()).exitCode());
    }

    @Test
    void psListsLoadedModelsAndNeedsNoServer() throws Exception {
        String until = Instant.now().plus(4, ChronoUnit.MINUTES).plusSeconds(30).toString();
        server.on("GET /api/ps", r -> Answer.json("{\"models\":[{\"name\":\"llama3.2:1b\",\"digest\":\"" + DIGEST + "\",\"size\":2200000000,"
                + "\"backend\":\"ggml\",\"context_length\":4096,\"expires_at\":\"" + until + "\"}]}"));
        CliRun.Result r = cli.run("ps");
        assertEquals(0, r.exitCode());
        assertEquals(List.of("NAME           ID              SIZE      BACKEND    CONTEXT    UNTIL", "llama3.2:1b    a80c4f17acd5    2.2 GB    ggml       4096       4 minutes from now"),
                r.out().lines().toList());

        CliRun none = new CliRun("127.0.0.1:" + freePort(), dir);
        CliRun.Result empty = none.run("ps");
        assertEquals(0, empty.exitCode());
        assertEquals("NAME    ID    SIZE    BACKEND    CONTEXT    UNTIL\n", empty.out());
    }

    @Test
    void showPrintsTheOverviewOrOnePart() {
        server.on("POST /api/show", r -> Answer.json("{\"license\":\"MIT License\\nCopyright\",\"template\":\"{{ .Prompt }}\",\"system\":\"Be brief.\",\"parameters\":\"temperature                    0.2\\nstop                           \\\"<|eot_id|>\\\"\","
                + "\"details\":{\"family\":\"llama\",\"parameter_size\":\"1.2B\",\"quantization_level\":\"Q8_0\"},"
                + "\"model_info\":{\"general.architecture\":\"llama\",\"llama.context_length\":131072,\"llama.embedding_length\":2048},\"capabilities\":[\"completion\",\"tools\"]}"));
        CliRun.Result r = cli.run("show", "llama3.2");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                  Model
                    architecture        llama
                    parameters          1.2B
                    context length      131072
                    embedding length    2048
                    quantization        Q8_0

                  Capabilities
                    completion
                    tools

                  Parameters
                    temperature    0.2
                    stop           "<|eot_id|>"

                  System
                    Be brief.

                """, r.out());
        assertEquals("llama3.2", server.requests("POST /api/show").getFirst().body().path("model").asText());
        assertEquals("{{ .Prompt }}\n", cli.run("show", "llama3.2", "--template").out());
        assertEquals("MIT License\nCopyright\n", cli.run("show", "llama3.2", "--license").out());
        assertEquals(2, cli.run("show", "llama3.2", "--template", "--system").exitCode(), "the parts exclude each other");
    }

    @Test
    void rmDeletesEachAndFailsIfAnyFailed() {
        server.on("DELETE /api/delete", r -> r.body().path("model").asText().equals("gone") ? Answer.error(404, "model 'gone' not found") : Answer.json(""));
        CliRun.Result r = cli.run("rm", "a", "gone", "b");
        assertEquals(1, r.exitCode());
        assertEquals("deleted 'a'\ndeleted 'b'\n", r.out());
        assertEquals("Error: model 'gone' not found\n", r.err());
        assertEquals(0, cli.run("rm", "a").exitCode());
    }

    @Test
    void cpCopies() {
        server.on("POST /api/copy", r -> Answer.json(""));
        CliRun.Result r = cli.run("cp", "llama3.2", "mine");
        assertEquals(0, r.exitCode());
        assertEquals("copied 'llama3.2' to 'mine'\n", r.out());
        assertEquals("{\"source\":\"llama3.2\",\"destination\":\"mine\"}", server.requests("POST /api/copy").getFirst().body().toString());
    }

    @Test
    void pullShowsEachStatusOnceWhenNotOnATerminal() {
        server.on("POST /api/pull", r -> Answer.ndjson("{\"status\":\"pulling manifest\"}",
                "{\"status\":\"pulling 74701a8c35f6\",\"digest\":\"sha256:74701a8c35f6\",\"total\":1321082688,\"completed\":0}",
                "{\"status\":\"pulling 74701a8c35f6\",\"digest\":\"sha256:74701a8c35f6\",\"total\":1321082688,\"completed\":1321082688}",
                "{\"status\":\"verifying sha256 digest\"}", "{\"status\":\"writing manifest\"}", "{\"status\":\"success\"}"));
        CliRun.Result r = cli.run("pull", "llama3.2:1b", "--insecure");
        assertEquals(0, r.exitCode());
        assertEquals("pulling manifest\npulling 74701a8c35f6 (1.3 GB)\nverifying sha256 digest\nwriting manifest\nsuccess\n", r.err());
        assertEquals("{\"model\":\"llama3.2:1b\",\"insecure\":true}", server.requests("POST /api/pull").getFirst().body().toString());
    }

    @Test
    void aFailedPullIsAnErrorWithExitCode1() {
        server.on("POST /api/pull", r -> Answer.ndjson("{\"status\":\"pulling manifest\"}", "{\"error\":\"pull x:latest: cannot reach https://registry.ollama.ai: connection refused\"}"));
        CliRun.Result r = cli.run("pull", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().endsWith("Error: pull x:latest: cannot reach https://registry.ollama.ai: connection refused\n"), r.err());
        server.on("POST /api/pull", r2 -> Answer.error(404, "model 'nosuch:latest' was not found in the registry at https://registry.ollama.ai"));
        assertEquals("Error: model 'nosuch:latest' was not found in the registry at https://registry.ollama.ai\n", cli.run("pull", "nosuch").err());
    }

    @Test
    void createFromAGgufFileOnThisMachineSendsItsPath() throws Exception {
        Path gguf = dir.resolve("model.gguf");
        Files.write(gguf, "GGUF\3\0\0\0weights".getBytes(StandardCharsets.ISO_8859_1));
        server.on("POST /api/create", r -> Answer.ndjson("{\"status\":\"parsing model\"}", "{\"status\":\"writing manifest\"}", "{\"status\":\"success\"}"));
        CliRun.Result r = cli.run("create", "mine", "-f", gguf.toString(), "--quantize", "q4_K_M");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("parsing model\nwriting manifest\nsuccess\n", r.err());
        assertEquals("{\"from\":\"" + gguf.toAbsolutePath() + "\",\"model\":\"mine\",\"quantize\":\"q4_K_M\"}", server.requests("POST /api/create").getFirst().body().toString());
    }

    @Test
    void createFromAModelfileWithUploadSendsTheWeightsAsABlob() throws Exception {
        byte[] weights = "GGUF\3\0\0\0the weights".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("w.gguf"), weights);
        Files.writeString(dir.resolve("Modelfile"), "FROM ./w.gguf\nPARAMETER temperature 0.2\nSYSTEM \"\"\"Be\nbrief.\"\"\"\n");
        server.on("HEAD /api/blobs/*", r -> new Answer(404, null, null));
        server.on("POST /api/blobs/*", r -> new Answer(201, null, null));
        server.on("POST /api/create", r -> Answer.ndjson("{\"status\":\"success\"}"));
        CliRun.Result r = cli.run("create", "mine", "-f", dir.resolve("Modelfile").toString(), "--upload");
        assertEquals(0, r.exitCode(), r.err());
        String digest = "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(weights));
        FakeServer.Request upload = server.requests("POST /api/blobs/" + digest).getFirst();
        assertEquals(new String(weights, StandardCharsets.ISO_8859_1), new String(upload.raw(), StandardCharsets.ISO_8859_1));
        assertEquals("{\"system\":\"Be\\nbrief.\",\"parameters\":{\"temperature\":0.2},\"model\":\"mine\",\"files\":{\"w.gguf\":\"" + digest + "\"}}",
                server.requests("POST /api/create").getFirst().body().toString());
        assertTrue(r.err().contains("copying file " + digest), r.err());

        server.on("HEAD /api/blobs/*", r2 -> new Answer(200, null, null));
        assertEquals(0, cli.run("create", "again", "-f", dir.resolve("Modelfile").toString(), "--upload").exitCode());
        assertEquals(1, server.requests("POST /api/blobs/" + digest).size(), "a blob the server has is not sent again");
    }

    @Test
    void createSendsTheModelfilesLicenses() throws Exception {
        Files.writeString(dir.resolve("Modelfile"), "FROM llama3.2\nLICENSE \"\"\"\nMIT License\n\nCopyright\n\"\"\"\nLICENSE Acceptable Use Policy\n");
        server.on("POST /api/create", r -> Answer.ndjson("{\"status\":\"success\"}"));
        assertEquals(0, cli.run("create", "mine", "-f", dir.resolve("Modelfile").toString()).exitCode());
        assertEquals("{\"from\":\"llama3.2\",\"license\":[\"\\nMIT License\\n\\nCopyright\\n\",\"Acceptable Use Policy\"],\"model\":\"mine\"}",
                server.requests("POST /api/create").getFirst().body().toString());
    }

    @Test
    void createFromAnMlxFolderSendsItsPathOrUploadsItsFiles() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("tiny-mlx"));
        Files.writeString(folder.resolve("config.json"), "{}");
        Files.writeString(folder.resolve("model.safetensors"), "weights");
        Files.writeString(folder.resolve("tokenizer.json"), "{}");
        Files.writeString(folder.resolve("README.md"), "not sent");
        server.on("POST /api/create", r -> Answer.ndjson("{\"status\":\"success\"}"));
        CliRun.Result r = cli.run("create", "mine", "-f", folder.toString(), "-q", "int4");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("{\"from\":\"" + folder.toAbsolutePath() + "\",\"model\":\"mine\",\"quantize\":\"int4\"}",
                server.requests("POST /api/create").getFirst().body().toString());

        Files.writeString(dir.resolve("Modelfile"), "FROM ./tiny-mlx\n");
        server.on("HEAD /api/blobs/*", r2 -> new Answer(404, null, null));
        server.on("POST /api/blobs/*", r2 -> new Answer(201, null, null));
        r = cli.run("create", "up", "-f", dir.resolve("Modelfile").toString(), "--upload");
        assertEquals(0, r.exitCode(), r.err());
        var files = server.requests("POST /api/create").get(1).body().get("files");
        assertEquals(java.util.List.of("config.json", "model.safetensors", "tokenizer.json"), fieldNames(files));
        String digest = files.get("model.safetensors").textValue();
        assertEquals("weights", new String(server.requests("POST /api/blobs/" + digest).getFirst().raw(), StandardCharsets.UTF_8));
        assertEquals(3, server.requests().stream().filter(q -> q.method().equals("POST") && q.path().startsWith("/api/blobs/")).count(),
                "one upload a file, the README stays");
    }

    private static java.util.List<String> fieldNames(com.fasterxml.jackson.databind.JsonNode n) {
        java.util.List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void createWithoutAModelfileOrWithAnAdapterIsAClearError() throws Exception {
        CliRun.Result r = cli.run("create", "mine");
        assertEquals(1, r.exitCode());
        assertEquals("Error: no Modelfile here: name one with -f FILE\n", r.err());
        Files.writeString(dir.resolve("Modelfile"), "FROM llama3.2\nADAPTER ./lora.gguf\n");
        assertEquals("Error: ADAPTER is not supported: mica does not apply LoRA adapters yet\n", cli.run("create", "m", "-f", dir.resolve("Modelfile").toString()).err());
        assertTrue(server.requests("POST /api/create").isEmpty());
    }

    @Test
    void stopUnloadsARunningModelAndRefusesOneThatIsNot() {
        server.on("GET /api/ps", r -> Answer.json("{\"models\":[{\"name\":\"llama3.2:latest\"}]}"));
        server.on("POST /api/generate", r -> Answer.ndjson("{\"model\":\"llama3.2\",\"done\":true,\"done_reason\":\"unload\"}"));
        assertEquals(0, cli.run("stop", "llama3.2").exitCode());
        assertEquals("{\"model\":\"llama3.2\",\"keep_alive\":0}", server.requests("POST /api/generate").getFirst().body().toString());
        CliRun.Result r = cli.run("stop", "other");
        assertEquals(1, r.exitCode());
        assertEquals("Error: model 'other' is not running\n", r.err());
    }

    @Test
    void benchReportsMediansOfTheServersOwnCounters() {
        server.on("POST /api/show", r -> Answer.json("{}"));
        int[] n = {0};
        server.on("POST /api/generate", r -> {
            n[0]++;
            return Answer.json("{\"done\":true,\"prompt_eval_count\":100,\"prompt_eval_duration\":" + (n[0] * 100_000_000L)
                    + ",\"eval_count\":20,\"eval_duration\":1000000000}");
        });
        CliRun.Result r = cli.run("bench", "stories", "-p", "64", "-n", "20", "-r", "3");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("MODEL      TEST    TOKENS    T/S (MEDIAN)    MIN       MAX", "stories    pp      100       333.33          250.00    500.00",
                "stories    tg      20        20.00           20.00     20.00"), r.out().lines().toList());
        List<FakeServer.Request> runs = server.requests("POST /api/generate");
        assertEquals(4, runs.size(), "a warm-up and three runs");
        assertEquals(20, runs.getFirst().body().path("options").path("num_predict").asInt());
        assertTrue(runs.getFirst().body().path("raw").asBoolean());
        assertFalse(runs.get(1).body().path("prompt").asText().equals(runs.get(2).body().path("prompt").asText()), "no two prompts alike: no prompt cache");
    }

    @Test
    void usageErrorsExitWith2() {
        CliRun.Result r = cli.run("frobnicate");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("Error: Unmatched argument"), r.err());
        assertEquals(2, cli.run("cp", "only-one").exitCode());
        assertEquals(2, cli.run("launch", "claude").exitCode(), "--model is required");
        assertEquals(2, cli.run("launch", "vim", "--model", "m").exitCode());
    }

    @Test
    void helpAndVersion() {
        CliRun.Result help = cli.run("--help");
        assertEquals(0, help.exitCode());
        for (String verb : List.of("serve", "run", "pull", "list", "ps", "show", "rm", "cp", "create", "stop", "bench", "launch")) {
            assertTrue(help.out().contains("\n  " + verb), verb + " in\n" + help.out());
        }
        assertTrue(cli.run("--version").out().startsWith("mica version "));
        assertEquals("mica version is 0.1.0-test\nWarning: client version is " + VersionCommand.clientVersion() + "\n", cli.run("version").out());
    }

    @Test
    void withoutAServerAndWithoutAutostartTheMessageSaysWhatToDo() throws Exception {
        CliRun none = new CliRun("127.0.0.1:" + freePort(), dir);
        CliRun.Result r = none.run("list");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("Error: could not connect to a mica server at http://127.0.0.1:"), r.err());
        assertTrue(r.err().endsWith("start one with `mica serve`\n"), r.err());
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
