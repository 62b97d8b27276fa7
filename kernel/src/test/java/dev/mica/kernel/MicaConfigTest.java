package dev.mica.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MicaConfigTest {
    @TempDir Path home;

    private Path file(String text) throws Exception {
        return Files.writeString(home.resolve("mica.properties"), text);
    }

    private static Properties system(String... keysAndValues) {
        Properties p = new Properties();
        for (int i = 0; i < keysAndValues.length; i += 2) p.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        return p;
    }

    @Test
    void theEnvironmentBeatsSystemPropertiesWhichBeatTheFileWhichBeatsTheDefaults() throws Exception {
        Path f = file("""
                mica.host=file:1
                mica.backends=java
                mica.deploy.poll=2000
                mica.store.extra=${mica.home}/extra
                """);
        MicaConfig c = MicaConfig.load(home, f,
                system("mica.host", "system:2", "mica.deploy.poll", "3000", "java.version", "not mica's"),
                Map.of("MICA_HOST", "env:3", "PATH", "/bin"));
        assertEquals("env:3", c.get("mica.host"));
        assertEquals("3000", c.get("mica.deploy.poll"));
        assertEquals("java", c.get("mica.backends"));
        assertEquals(home.toAbsolutePath() + "/extra", c.get("mica.store.extra"));
        assertEquals(home.resolve("bundles").toString(), c.get("mica.bundles"), "a default nobody overrode");
        assertFalse(c.asMap().containsKey("java.version"));
        assertNull(c.get("mica.path"), "only MICA_ variables are read");
    }

    @Test
    void aMissingFileLeavesTheDefaults() throws Exception {
        MicaConfig c = MicaConfig.load(home, home.resolve("absent.properties"), system(), Map.of());
        assertEquals("127.0.0.1:11434", c.get("mica.host"));
    }

    @Test
    void variablesSetTheUnderscoreKeysBundlesRead() throws Exception {
        MicaConfig c = MicaConfig.load(home, null, system(), Map.of(
                "MICA_KEEP_ALIVE", "7m", "MICA_NUM_THREAD", "3", "MICA_NUM_PARALLEL", "2", "MICA_KV_UNIFIED", "false",
                "MICA_MAX_QUEUE", "9", "MICA_API_KEY", "secret", "MICA_HTTP_MAX_BODY", "1M", "MICA_CACHE_HOST_BYTES", "2g"));
        assertEquals("7m", c.get("mica.keep_alive"));
        assertEquals("3", c.get("mica.num_thread"));
        assertEquals("2", c.get("mica.num_parallel"));
        assertEquals("false", c.get("mica.kv_unified"));
        assertEquals("9", c.get("mica.max_queue"));
        assertEquals("secret", c.get("mica.api_key"));
        assertEquals("1M", c.get("mica.http.max_body"));
        assertEquals("2g", c.get("mica.cache.host_bytes"));
        assertNull(c.get("mica.keep.alive"));
        assertNull(c.get("mica.http.max.body"));
    }

    @Test
    void aVariableOverridesTheKeyTheFileSpellsAndOtherwiseBecomesTheDottedKey() throws Exception {
        Path f = file("""
                mica.keep_alive=5m
                mica.my_setting=file
                mica.kv.unified=true
                """);
        MicaConfig c = MicaConfig.load(home, f, system("mica.sys_only", "system"), Map.of(
                "MICA_KEEP_ALIVE", "-1", "MICA_MY_SETTING", "env", "MICA_SYS_ONLY", "env",
                "MICA_LLAMA_PATH", "/opt/llama", "MICA_FOO_BAR", "x", "MICA_KV_UNIFIED", "false", "MICA_", "ignored"));
        assertEquals("-1", c.get("mica.keep_alive"));
        assertEquals("env", c.get("mica.my_setting"));
        assertNull(c.get("mica.my.setting"));
        assertEquals("env", c.get("mica.sys_only"));
        assertEquals("/opt/llama", c.get("mica.llama.path"));
        assertEquals("x", c.get("mica.foo.bar"));
        // Both spellings known: the declared one is what the engine reads, so the variable goes there.
        assertEquals("false", c.get("mica.kv_unified"));
        assertEquals("true", c.get("mica.kv.unified"));
        assertFalse(c.asMap().containsKey("mica."));
    }

    @Test
    void everyDeclaredKeyHasItsOwnVariable() {
        assertEquals(MicaConfig.UNDERSCORE_KEYS.size(),
                MicaConfig.UNDERSCORE_KEYS.stream().map(MicaConfig::variable).distinct().count());
        assertEquals("MICA_HTTP_MAX_BODY", MicaConfig.variable("mica.http.max_body"));
    }
}
