package dev.mica.kernel;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The runtime's settings, all under {@code mica.*} keys. Sources, lowest first: defaults, the
 * properties file ({@code conf/mica.properties} or {@code --config}), Java system properties, then
 * environment variables. Bundles read the result as framework properties.
 *
 * <p>An environment variable names a key in upper case with every {@code .} and {@code _} as
 * {@code _}, which alone cannot tell {@code mica.keep_alive} from {@code mica.keep.alive}. So
 * {@code MICA_X} sets the <em>known</em> key that is spelled {@code X} that way: one of
 * {@link #UNDERSCORE_KEYS} (which win), else a default's or a key of the properties file or the
 * system properties (alphabetically first, should two be spelled alike); only a variable that
 * spells no known key becomes the dotted form. {@code MICA_KEEP_ALIVE} sets {@code mica.keep_alive},
 * {@code MICA_LLAMA_PATH} sets {@code mica.llama.path}, {@code MICA_FOO_BAR} sets {@code mica.foo.bar}.
 */
public final class MicaConfig {
    public static final String HOME = "mica.home";
    public static final String HOST = "mica.host";
    public static final String MODELS = "mica.models";
    public static final String BUNDLES = "mica.bundles";
    public static final String DEPLOY = "mica.deploy";
    public static final String DEPLOY_POLL_MS = "mica.deploy.poll";
    public static final String LLAMA_PATH = "mica.llama.path";

    /**
     * The keys with an underscore that bundles read, though neither a default nor the shipped
     * properties file names them; without this list their variables (MICA_KEEP_ALIVE) would set a
     * dotted key no bundle reads. A bundle that reads a new one adds it here.
     */
    public static final List<String> UNDERSCORE_KEYS = List.of(
            "mica.keep_alive", "mica.num_thread", "mica.num_parallel", "mica.kv_unified", "mica.max_queue",
            "mica.api_key", "mica.http.max_body",
            "mica.cache.resident_cells", "mica.cache.host_bytes", "mica.cache.checkpoint_interval", "mica.cache.checkpoint_tail");

    private final Map<String, String> values;

    private MicaConfig(Map<String, String> values) {
        this.values = values;
    }

    /** Defaults, then the file (if it exists), system properties and environment. */
    public static MicaConfig load(Path home, Path file) throws IOException {
        return load(home, file, System.getProperties(), System.getenv());
    }

    static MicaConfig load(Path home, Path file, Properties system, Map<String, String> env) throws IOException {
        Map<String, String> v = defaults(home);
        if (file != null && Files.isRegularFile(file)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            p.stringPropertyNames().forEach(k -> v.put(k, p.getProperty(k).replace("${mica.home}", v.get(HOME))));
        }
        system.stringPropertyNames().stream().filter(k -> k.startsWith("mica."))
                .forEach(k -> v.put(k, system.getProperty(k)));
        Map<String, String> known = knownKeysByVariable(v.keySet());
        env.forEach((k, val) -> {
            if (k.startsWith("MICA_") && k.length() > 5) {
                v.put(known.getOrDefault(k, dotted(k)), val);
            }
        });
        return new MicaConfig(v);
    }

    /** Defaults plus settings given in code, for embedding: nothing is read from files or the environment. */
    public static MicaConfig of(Path home, Map<String, String> overrides) {
        Map<String, String> v = defaults(home);
        v.putAll(overrides);
        return new MicaConfig(v);
    }

    private static Map<String, String> defaults(Path home) {
        Map<String, String> v = new LinkedHashMap<>();
        String userHome = System.getProperty("user.home");
        v.put(HOME, home.toAbsolutePath().toString());
        v.put(HOST, "127.0.0.1:11434");
        v.put(MODELS, Path.of(userHome, ".mica", "models").toString());
        v.put(BUNDLES, home.resolve("bundles").toString());
        v.put(DEPLOY, home.resolve("deploy").toString());
        v.put(DEPLOY_POLL_MS, "1000");
        v.put(LLAMA_PATH, home.resolve("natives").resolve(platform()).toString());
        return v;
    }

    /** The environment variable that sets {@code key}: {@code mica.keep_alive} is MICA_KEEP_ALIVE. */
    static String variable(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** Each variable's key among the declared and the given ones, by the precedence the class comment gives. */
    private static Map<String, String> knownKeysByVariable(Set<String> keys) {
        Map<String, String> byVariable = new HashMap<>();
        UNDERSCORE_KEYS.forEach(k -> byVariable.putIfAbsent(variable(k), k));
        new TreeSet<>(keys).forEach(k -> byVariable.putIfAbsent(variable(k), k));
        return byVariable;
    }

    private static String dotted(String variable) {
        return "mica." + variable.substring(5).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** e.g. linux-x64, mac-arm64: the folder names of llama.cpp's prebuilt natives. */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String o = os.contains("mac") ? "mac" : os.contains("win") ? "win" : "linux";
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : arch;
        return o + "-" + a;
    }

    public String get(String key) {
        return values.get(key);
    }

    public String get(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    public Path path(String key) {
        return Path.of(values.get(key));
    }

    public MicaConfig with(String key, String value) {
        Map<String, String> v = new LinkedHashMap<>(values);
        v.put(key, value);
        return new MicaConfig(v);
    }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }
}
