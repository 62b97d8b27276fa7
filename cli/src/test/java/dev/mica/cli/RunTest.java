package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.cli.FakeServer.Answer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mica run}: one-shot with arguments or stdin, pulling a missing model, and the interactive chat. */
class RunTest {
    @TempDir Path dir;
    private FakeServer server;
    private CliRun cli;

    @BeforeEach
    void start() throws Exception {
        server = new FakeServer();
        server.on("POST /api/show", r -> Answer.json("{\"parameters\":\"temperature                    0.7\",\"template\":\"{{ .Prompt }}\",\"details\":{}}"));
        server.on("POST /api/chat", r -> {
            JsonNode messages = r.body().path("messages");
            if (messages.isEmpty()) return Answer.ndjson("{\"model\":\"m\",\"done\":true,\"done_reason\":\"load\"}");
            String last = messages.get(messages.size() - 1).path("content").asText();
            return Answer.ndjson("{\"message\":{\"role\":\"assistant\",\"content\":\"You said: \"},\"done\":false}",
                    "{\"message\":{\"role\":\"assistant\",\"content\":\"" + last.replace("\n", "\\n") + "\"},\"done\":false}",
                    "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1500000000,"
                            + "\"load_duration\":1000000,\"prompt_eval_count\":12,\"prompt_eval_duration\":120000000,\"eval_count\":40,\"eval_duration\":1000000000}");
        });
        cli = new CliRun(server.host(), dir.resolve("home"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aPromptInArgumentsIsAnsweredOnStdout() {
        CliRun.Result r = cli.run("run", "m", "Why", "is", "the", "sky", "blue?");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("You said: Why is the sky blue?\n", r.out());
        assertEquals("", r.err(), "no spinner on a stderr that is not a terminal");
        JsonNode body = server.requests("POST /api/chat").getLast().body();
        assertEquals("m", body.path("model").asText());
        assertEquals("[{\"role\":\"user\",\"content\":\"Why is the sky blue?\"}]", body.path("messages").toString());
    }

    /** Stdout redirected, stderr a terminal; both land on one screen, so the order they were written in shows. */
    private Cli stderrOnATerminal(ByteArrayOutputStream screen) {
        PrintStream both = new PrintStream(screen, true, StandardCharsets.UTF_8);
        return new Cli(both, both, new ByteArrayInputStream(new byte[0]), false, false, true, Map.copyOf(cli.env), null, dir.resolve("home"), Duration.ofSeconds(30));
    }

    @Test
    void onATerminalASpinnerWaitsForTheFirstTokenAndIsGoneBeforeIt() {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Cli c = stderrOnATerminal(screen);
        assertEquals(0, Mica.commandLine(c).execute("run", "m", "hi"));
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("\r" + Spinner.FRAMES.charAt(0) + "\033[K"), shown);
        assertTrue(shown.endsWith("\r\033[KYou said: hi\n"), "the spinner's line is cleared before the answer, and nothing follows it: " + shown);
    }

    @Test
    void aFailedAnswerClearsTheSpinnerBeforeTheError() {
        server.on("POST /api/chat", r -> Answer.ndjson("{\"error\":\"out of memory\"}"));
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Cli c = stderrOnATerminal(screen);
        assertEquals(1, Mica.commandLine(c).execute("run", "m", "hi"));
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("\r" + Spinner.FRAMES.charAt(0) + "\033[K"), shown);
        assertTrue(shown.endsWith("\r\033[KError: out of memory\n"), shown);
    }

    @Test
    void stdinComesBeforeTheArgumentsAsInOllama() {
        cli.stdin = "some text\n";
        CliRun.Result r = cli.run("run", "m", "Summarize:");
        assertEquals("You said: some text\n Summarize:\n", r.out());
    }

    @Test
    void verbosePrintsTimingsOnStderr() {
        CliRun.Result r = cli.run("run", "m", "--verbose", "--keepalive", "10m", "--format", "json", "hi");
        assertEquals("You said: hi\n", r.out());
        assertEquals("""
                total duration:       1.5s
                load duration:        1ms
                prompt eval count:    12 token(s)
                prompt eval duration: 120ms
                prompt eval rate:     100.00 tokens/s
                eval count:           40 token(s)
                eval duration:        1s
                eval rate:            40.00 tokens/s
                """, r.err());
        JsonNode body = server.requests("POST /api/chat").getLast().body();
        assertEquals("10m", body.path("keep_alive").asText());
        assertEquals("json", body.path("format").asText());
    }

    @Test
    void aMissingModelIsPulledFirst() {
        boolean[] pulled = {false};
        server.on("POST /api/show", r -> pulled[0] ? Answer.json("{}") : Answer.error(404, "model 'm' not found"));
        server.on("POST /api/pull", r -> {
            pulled[0] = true;
            return Answer.ndjson("{\"status\":\"pulling manifest\"}", "{\"status\":\"success\"}");
        });
        CliRun.Result r = cli.run("run", "m", "hi");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("pulling manifest\nsuccess\n", r.err());
        assertEquals("You said: hi\n", r.out());
    }

    @Test
    void anAnswerNobodyReadsIsCancelled() throws Exception {
        java.util.concurrent.CountDownLatch gone = new java.util.concurrent.CountDownLatch(1);
        server.on("POST /api/chat", r -> Answer.endless("{\"message\":{\"role\":\"assistant\",\"content\":\"la \"},\"done\":false}", gone));
        java.io.OutputStream closedPipe = new java.io.OutputStream() {
            private int written;

            @Override
            public void write(int b) throws java.io.IOException {
                if (++written > 100) throw new java.io.IOException("Broken pipe");
            }
        };
        Cli c = cli.cli(new PrintStream(closedPipe, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, Mica.commandLine(c).execute("run", "m", "sing"));
        assertTrue(gone.await(10, java.util.concurrent.TimeUnit.SECONDS), "the server saw the client go");
    }

    @Test
    void anUnknownModelEverywhereIsAnError() {
        server.on("POST /api/show", r -> Answer.error(404, "model 'nosuch' not found"));
        server.on("POST /api/pull", r -> Answer.error(404, "model 'nosuch:latest' was not found in the registry at https://registry.ollama.ai"));
        CliRun.Result r = cli.run("run", "nosuch", "hi");
        assertEquals(1, r.exitCode());
        assertEquals("Error: model 'nosuch:latest' was not found in the registry at https://registry.ollama.ai\n", r.err());
    }

    @Test
    void nothingToSayOnAPipeOnlyLoadsTheModel() {
        cli.stdin = "";
        CliRun.Result r = cli.run("run", "m");
        assertEquals(0, r.exitCode());
        assertEquals("", r.out());
        assertEquals("[]", server.requests("POST /api/chat").getLast().body().path("messages").toString());
    }

    /** The REPL over a dumb terminal fed from a string, as a user would type it. */
    private String chat(String typed, Path history) throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Cli c = cli.cli(new PrintStream(screen, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        Chat session = new Chat(c, c.client(), "m", false, null, null, false, null);
        try (Terminal t = new DumbTerminal(new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), screen)) {
            assertEquals(0, new ChatSession(c, session, history).run(t));
        }
        return screen.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theChatKeepsTheConversationAndTakesMultiLineInput() throws Exception {
        Path history = dir.resolve("home/.mica/history");
        String screen = chat("hello\n\"\"\"first line\nsecond line\n\"\"\"\n/bye\n", history);

        assertTrue(screen.contains("You said: hello"), screen);
        assertTrue(screen.contains("You said: first line\nsecond line"), screen);
        List<FakeServer.Request> chats = server.requests("POST /api/chat");
        assertEquals("[{\"role\":\"user\",\"content\":\"hello\"},{\"role\":\"assistant\",\"content\":\"You said: hello\"},"
                + "{\"role\":\"user\",\"content\":\"first line\\nsecond line\"}]", chats.getLast().body().path("messages").toString());
        String saved = Files.readString(history);
        assertTrue(saved.contains("hello"), "history is kept in " + history + ": " + saved);
    }

    @Test
    void setParameterSystemAndShowChangeTheSession() throws Exception {
        String screen = chat("/set parameter temperature 0\n/set parameter stop <|eot_id|>\n/set system You are terse.\n/show parameters\n/show system\nhi\n/clear\nagain\n/bye\n", null);

        assertTrue(screen.contains("Set parameter 'temperature' to '0'"), screen);
        assertTrue(screen.contains("Model defined parameters:\ntemperature                    0.7"), screen);
        assertTrue(screen.contains("User defined parameters:\ntemperature"), screen);
        assertTrue(screen.contains("You are terse."), screen);
        assertTrue(screen.contains("Cleared session context"), screen);
        List<FakeServer.Request> chats = server.requests("POST /api/chat");
        JsonNode first = chats.get(chats.size() - 2).body();
        assertEquals("{\"temperature\":0,\"stop\":[\"<|eot_id|>\"]}", first.path("options").toString());
        assertEquals("[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"hi\"}]", first.path("messages").toString());
        assertEquals("[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"again\"}]",
                chats.getLast().body().path("messages").toString(), "/clear forgot the earlier turn");
    }

    @Test
    void showLicensePrintsTheModelsLicenseOrSaysThereIsNone() throws Exception {
        server.on("POST /api/show", r -> Answer.json("{\"license\":\"MIT License\\n\\nCopyright (c) 2024\",\"details\":{}}"));
        String screen = chat("/? show\n/show license\n/bye\n", null);
        assertTrue(screen.contains("  /show license      Show model license\n"), screen);
        assertTrue(screen.contains("MIT License\n\nCopyright (c) 2024\n"), screen);

        server.on("POST /api/show", r -> Answer.json("{\"details\":{}}"));
        assertTrue(chat("/show license\n/bye\n", null).contains("No license was specified for this model.\n"));
    }

    @Test
    void showInfoModelfileAndTemplateComeFromTheServersShow() throws Exception {
        server.on("POST /api/show", r -> Answer.json("{\"modelfile\":\"# Modelfile generated by \\\"mica show\\\"\\nFROM /blobs/sha256-ab\\n\",\"template\":\"{{ .System }} {{ .Prompt }}\","
                + "\"details\":{\"family\":\"llama\",\"parameter_size\":\"1.2B\",\"quantization_level\":\"Q8_0\"},\"capabilities\":[\"completion\"]}"));
        String screen = chat("/show info\n/show modelfile\n/show template\n/bye\n", null);
        assertTrue(screen.contains("""
                  Model
                    architecture    llama
                    parameters      1.2B
                    quantization    Q8_0

                  Capabilities
                    completion

                """), screen);
        assertTrue(screen.contains("# Modelfile generated by \"mica show\"\nFROM /blobs/sha256-ab\n"), screen);
        assertTrue(screen.contains("{{ .System }} {{ .Prompt }}\n"), screen);
        assertTrue(server.requests("POST /api/show").stream().allMatch(r -> r.body().path("model").asText().equals("m")));

        server.on("POST /api/show", r -> Answer.json("{\"details\":{}}"));
        assertTrue(chat("/show template\n/bye\n", null).contains("No prompt template was specified for this model.\n"));
    }

    @Test
    void loadSwitchesTheModelAndStartsAFreshConversation() throws Exception {
        String screen = chat("hello\n/load other\nhi\n/bye\n", null);

        assertTrue(screen.contains("Loading model 'other'\n"), screen);
        assertEquals("other", server.requests("POST /api/show").getLast().body().path("model").asText(), "the model was looked for before it was loaded");
        List<FakeServer.Request> chats = server.requests("POST /api/chat");
        assertEquals("{\"model\":\"other\",\"messages\":[]}", chats.get(1).body().toString(), "an empty chat loads the model");
        assertEquals("{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", chats.getLast().body().toString(),
                "the answers of the model before stay behind");
    }

    @Test
    void loadOfAModelThatIsNowhereLeavesTheSessionAsItWas() throws Exception {
        server.on("POST /api/show", r -> r.body().path("model").asText().equals("nosuch") ? Answer.error(404, "model 'nosuch' not found") : Answer.json("{}"));
        server.on("POST /api/pull", r -> Answer.error(404, "model 'nosuch:latest' was not found in the registry"));
        String screen = chat("hello\n/load\n/load nosuch\nhi\n/bye\n", null);

        assertTrue(screen.contains("Usage: /load <model>\n"), screen);
        assertTrue(screen.contains("Error: model 'nosuch:latest' was not found in the registry\n"), screen);
        assertFalse(screen.contains("Loading model"), screen);
        JsonNode last = server.requests("POST /api/chat").getLast().body();
        assertEquals("m", last.path("model").asText());
        assertEquals(3, last.path("messages").size(), "the conversation goes on: " + last);
    }

    @Test
    void helpUnknownCommandsAndEndOfInput() throws Exception {
        String screen = chat("/?\n/frob\n", null);
        assertTrue(screen.contains("Use \"\"\" to begin a multi-line message."), screen);
        assertTrue(screen.contains("Unknown command '/frob'. Type /? for help"), screen);
        assertTrue(server.requests("POST /api/chat").isEmpty(), "commands are not sent to the model");
    }
}
