package dev.mica.kernel;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The runtime's settings, all under {@code mica.*} keys. Sources, lowest first: defaults, the
 * properties file ({@code conf/mica.properties} or {@code --config}), Java system properties, then
 * environment variables ({@code MICA_MODELS} sets {@code mica.models}; {@code MICA_LLAMA_PATH} sets
 * {@code mica.llama.path}). Bundles read the result as framework properties.
 */
public final class MicaConfig {
    public static final String HOME = "mica.home";
    public static final String HOST = "mica.host";
    public static final String MODELS = "mica.models";
    public static final String BUNDLES = "mica.bundles";
    public static final String DEPLOY = "mica.deploy";
    public static final String DEPLOY_POLL_MS = "mica.deploy.poll";
    public static final String LLAMA_PATH = "mica.llama.path";

    private final Map<String, String> values;

    private MicaConfig(Map<String, String> values) {
        this.values = values;
    }

    /** Defaults, then the file (if it exists), system properties and environment. */
    public static MicaConfig load(Path home, Path file) throws IOException {
        Map<String, String> v = defaults(home);
        if (file != null && Files.isRegularFile(file)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            p.stringPropertyNames().forEach(k -> v.put(k, p.getProperty(k).replace("${mica.home}", v.get(HOME))));
        }
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("mica."))
                .forEach(k -> v.put(k, System.getProperty(k)));
        System.getenv().forEach((k, val) -> {
            if (k.startsWith("MICA_") && k.length() > 5) {
                v.put(envToKey(k), val);
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

    static String envToKey(String env) {
        return "mica." + env.substring(5).toLowerCase(Locale.ROOT).replace('_', '.');
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
