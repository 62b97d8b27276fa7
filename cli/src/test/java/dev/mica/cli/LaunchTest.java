package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.cli.FakeServer.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mica launch} with stand-in executables that record their arguments and environment. */
class LaunchTest {
    @TempDir Path dir;
    private FakeServer server;
    private CliRun cli;
    private Path record;

    @BeforeEach
    void start() throws Exception {
        server = new FakeServer();
        server.on("POST /api/show", r -> Answer.json("{}"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("claude", "codex", "opencode")) {
            Path p = bin.resolve(tool);
            Files.writeString(p, """
                    #!/bin/sh
                    { printf 'ARGS'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'; env; } > "$MICA_TEST_RECORD"
                    exit 3
                    """);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        record = dir.resolve("record.txt");
        cli = new CliRun(server.host(), dir.resolve("home"));
        cli.env.put("PATH", bin + ":/usr/bin:/bin");
        cli.env.put("MICA_TEST_RECORD", record.toString());
        cli.env.put("ANTHROPIC_API_KEY", "sk-ant-real-key");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String args() throws Exception {
        return Files.readAllLines(record).getFirst();
    }

    private Map<String, String> env() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(record).subList(1, Files.readAllLines(record).size())) {
            int eq = line.indexOf('=');
            if (eq > 0) env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return env;
    }

    @Test
    void claudeCodeGetsAnthropicsVariablesAndItsExitCodeIsOurs() throws Exception {
        cli.env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        cli.env.put("claude_code_disable_nonessential_traffic", "1");
        CliRun.Result r = cli.run("launch", "claude", "--model", "qwen3:8b", "--", "-p", "hello there");
        assertEquals(3, r.exitCode(), r.err());
        assertEquals("ARGS [--model] [qwen3:8b] [-p] [hello there]", args());
        Map<String, String> env = env();
        String base = "http://" + server.host();
        assertEquals(base, env.get("ANTHROPIC_BASE_URL"));
        assertEquals("mica", env.get("ANTHROPIC_AUTH_TOKEN"));
        assertEquals("", env.get("ANTHROPIC_API_KEY"), "a real key is not sent to the local server");
        for (String k : List.of("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL",
                "ANTHROPIC_SMALL_FAST_MODEL", "CLAUDE_CODE_SUBAGENT_MODEL")) {
            assertEquals("qwen3:8b", env.get(k), k);
        }
        assertEquals("0", env.get("CLAUDE_CODE_ATTRIBUTION_HEADER"), "no per-request line at the head of the system prompt");
        for (String k : List.of("DISABLE_TELEMETRY", "DISABLE_ERROR_REPORTING", "DISABLE_FEEDBACK_COMMAND", "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY")) {
            assertEquals("1", env.get(k), k);
        }
        assertFalse(env.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC")), "it would turn Claude Code's features off: " + env.keySet());
        assertEquals(record.toString(), env.get("MICA_TEST_RECORD"), "the rest of the environment is passed on");
        assertEquals("qwen3:8b", server.requests("POST /api/show").getFirst().body().path("model").asText());
    }

    private static final String CODEX_CONFIG = """
            # my settings
            model = "gpt-5"
            developer_instructions = \"""
            [profiles.mica]
            is not a table in here\"""

            [profiles.work]
            model = "o3"

            [mcp_servers.docs]
            command = "npx"
            args = [
            ["nested"], "x",
            ]
            """;

    private String codexTables(String model, String keyLine) {
        String base = "http://" + server.host() + "/v1";
        return "[profiles.mica]\nmodel = \"" + model + "\"\nopenai_base_url = \"" + base + "\"\nmodel_provider = \"mica\"\nforced_login_method = \"api\"\n"
                + "\n[model_providers.mica]\nname = \"mica\"\nbase_url = \"" + base + "\"\nwire_api = \"responses\"\n" + keyLine;
    }

    @Test
    void codexRunsWithAMicaProfileAddedToItsConfigurationAndTheRestOfTheFileStays() throws Exception {
        Path config = dir.resolve("home/.codex/config.toml");
        Files.createDirectories(config.getParent());
        Files.writeString(config, CODEX_CONFIG);
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));

        assertEquals(3, cli.run("launch", "codex", "-m", "gpt-oss:20b", "--", "exec", "hi").exitCode());

        assertEquals("ARGS [--profile] [mica] [-m] [gpt-oss:20b] [exec] [hi]", args());
        assertEquals("mica", env().get("OPENAI_API_KEY"));
        assertEquals("http://" + server.host() + "/v1", env().get("OPENAI_BASE_URL"), "also for a Codex run without the profile");
        assertEquals(CODEX_CONFIG + "\n" + codexTables("gpt-oss:20b", ""), Files.readString(config));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));

        assertEquals(3, cli.run("launch", "codex", "-m", "qwen3:8b").exitCode());
        assertEquals(CODEX_CONFIG + "\n" + codexTables("qwen3:8b", ""), Files.readString(config), "the tables are replaced, not added again");
    }

    @Test
    void codexsMicaTablesAreReplacedWhereTheyAreWithTheServersKeyReadFromItsVariable() throws Exception {
        cli.env.put("MICA_API_KEY", "s3cret");
        cli.env.put("CODEX_HOME", dir.resolve("codex").toString());
        Path config = dir.resolve("codex/config.toml");
        Files.createDirectories(config.getParent());
        String before = "[model_providers.mica]\nname = \"old\"\nstale = 1\n\n# about the next one\n[model_providers.mica.http_headers]\nX = \"y\"\n";
        String after = "\n[profiles.'mica']\nmodel = \"old\"\n[tui]\nnotifications = true\n";
        Files.writeString(config, before + after);

        assertEquals(3, cli.run("launch", "codex", "-m", "qwen3").exitCode());

        assertEquals("s3cret", env().get("OPENAI_API_KEY"));
        String tables = codexTables("qwen3", "env_key = \"MICA_API_KEY\"\n");
        String profile = tables.substring(0, tables.indexOf("\n[model_providers"));
        String provider = tables.substring(tables.indexOf("[model_providers"));
        assertEquals(provider + "\n# about the next one\n[model_providers.mica.http_headers]\nX = \"y\"\n\n" + profile + "[tui]\nnotifications = true\n",
                Files.readString(config));
    }

    @Test
    void codexsConfigurationIsNotTouchedWhereItDefinesMicasTablesAnotherWay() throws Exception {
        Path config = dir.resolve("home/.codex/config.toml");
        Files.createDirectories(config.getParent());
        String inline = "[profiles]\nmica = { model = \"x\" }\n";
        Files.writeString(config, inline);

        CliRun.Result r = cli.run("launch", "codex", "-m", "qwen3");

        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("Error: " + config + " defines profiles.mica on line 2 in a way mica does not rewrite; add these tables to it yourself:\n[profiles.mica]\n"), r.err());
        assertEquals(inline, Files.readString(config));
        assertFalse(Files.exists(record));
    }

    @Test
    void openCodeGetsAProviderInItsConfigurationFileAndTheRestOfTheFileStays() throws Exception {
        Path config = dir.resolve("xdg/opencode/opencode.json");
        Files.createDirectories(config.getParent());
        Files.writeString(config, "{\"theme\":\"tokyonight\",\"model\":\"anthropic/claude-sonnet-4\",\"provider\":{\"other\":{\"npm\":\"x\"},"
                + "\"mica\":{\"models\":{\"llama3.2\":{\"name\":\"llama3.2\"}}}}}");
        cli.env.put("XDG_CONFIG_HOME", dir.resolve("xdg").toString());

        assertEquals(3, cli.run("launch", "opencode", "--model", "qwen3:8b").exitCode());

        assertEquals("ARGS [--model] [mica/qwen3:8b]", args());
        JsonNode json = Client.JSON.readTree(config.toFile());
        assertEquals("tokyonight", json.path("theme").asText());
        assertEquals("anthropic/claude-sonnet-4", json.path("model").asText(), "the user's default model stays");
        assertEquals("x", json.path("provider").path("other").path("npm").asText());
        JsonNode mica = json.path("provider").path("mica");
        assertEquals("@ai-sdk/openai-compatible", mica.path("npm").asText());
        assertEquals("http://" + server.host() + "/v1", mica.path("options").path("baseURL").asText());
        assertEquals("qwen3:8b", mica.path("models").path("qwen3:8b").path("name").asText());
        assertEquals("llama3.2", mica.path("models").path("llama3.2").path("name").asText(), "models added before stay");
    }

    @Test
    void aMissingModelIsPulledBeforeTheToolStarts() throws Exception {
        boolean[] pulled = {false};
        server.on("POST /api/show", r -> pulled[0] ? Answer.json("{}") : Answer.error(404, "model 'qwen3' not found"));
        server.on("POST /api/pull", r -> {
            pulled[0] = true;
            return Answer.ndjson("{\"status\":\"success\"}");
        });
        assertEquals(3, cli.run("launch", "claude", "--model", "qwen3").exitCode());
        assertEquals(1, server.requests("POST /api/pull").size());
        assertTrue(Files.exists(record));
    }

    @Test
    void aToolThatIsNotInstalledIs127WithTheWayToInstallIt() throws Exception {
        cli.env.put("PATH", dir.resolve("empty").toString());
        CliRun.Result r = cli.run("launch", "codex", "--model", "m");
        assertEquals(127, r.exitCode());
        assertEquals("Error: Codex is not installed (no 'codex' on the PATH): install it with `npm install -g @openai/codex`\n", r.err());
        assertTrue(server.requests().isEmpty(), "nothing was pulled for a tool that cannot run");
    }

    @Test
    void configOnlyPrintsTheEnvironmentAndStartsNothing() throws Exception {
        CliRun.Result r = cli.run("launch", "claude", "--model", "qwen3:8b", "--config");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("export ANTHROPIC_BASE_URL=http://" + server.host() + "\n"), r.out());
        assertTrue(r.out().contains("export ANTHROPIC_API_KEY=''\n"), r.out());
        assertTrue(r.out().contains("export ANTHROPIC_MODEL=qwen3:8b\n"), r.out());
        assertTrue(r.out().contains("export CLAUDE_CODE_ATTRIBUTION_HEADER=0\nexport DISABLE_TELEMETRY=1\nexport DISABLE_ERROR_REPORTING=1\n"
                + "export DISABLE_FEEDBACK_COMMAND=1\nexport CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY=1\n"), r.out());
        assertTrue(r.out().endsWith("\nunset CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC\n"), r.out());
        assertFalse(Files.exists(record));
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void configOnlyWritesCodexsProfileAndPrintsOnlyItsOwnTables() throws Exception {
        CliRun.Result r = cli.run("launch", "codex", "--model", "m", "--config");
        assertEquals(0, r.exitCode(), r.err());
        Path config = dir.resolve("home/.codex/config.toml");
        assertEquals(codexTables("m", ""), Files.readString(config), "a missing file and folder are created");
        assertEquals("# wrote these tables to " + config + "\n" + codexTables("m", "") + "export OPENAI_BASE_URL=http://" + server.host() + "/v1\nexport OPENAI_API_KEY=mica\n# then: codex --profile mica -m m\n", r.out());
        assertFalse(Files.exists(record));
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void configOnlyWritesOpenCodesFileButNeverOneWithComments() throws Exception {
        CliRun.Result r = cli.run("launch", "opencode", "--model", "qwen3", "--config");
        assertEquals(0, r.exitCode(), r.err());
        Path config = dir.resolve("home/.config/opencode/opencode.json");
        assertTrue(r.out().startsWith("# wrote " + config + "\n"), r.out());
        assertEquals("mica/qwen3", Client.JSON.readTree(config.toFile()).path("model").asText(), "a file without a default model gets this one");
        assertFalse(Files.exists(record));

        String commented = "{\n  // my settings\n  \"theme\": \"x\"\n}\n";
        Files.writeString(config, commented);
        CliRun.Result refused = cli.run("launch", "opencode", "--model", "qwen3", "--config");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().startsWith("Error: " + config + " has comments mica would lose; add this to its \"provider\" object yourself:\n\"mica\": {"), refused.err());
        assertEquals(commented, Files.readString(config));
    }
}
