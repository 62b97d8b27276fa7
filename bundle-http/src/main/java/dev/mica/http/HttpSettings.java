package dev.mica.http;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The server's settings, read from framework properties.
 *
 * <ul>
 *   <li>{@code mica.host}: where to listen, in Ollama's OLLAMA_HOST style: {@code host:port},
 *       {@code :port} (all interfaces), {@code host} (port 11434), optionally {@code http://}
 *       first; port 0 takes a free port. Default {@code 127.0.0.1:11434}.
 *   <li>{@code mica.http.max_body} (from MICA_HTTP_MAX_BODY): the largest JSON body, in bytes or with a K/M/G suffix
 *       (binary). Default 64M. Blob uploads are streamed and not limited.
 *   <li>{@code mica.api_key} (from MICA_API_KEY): when set, every request
 *       must carry it, as {@code Authorization: Bearer <key>} or {@code x-api-key: <key>}.
 *   <li>{@code mica.origins} (from MICA_ORIGINS): browser origins allowed besides the local ones,
 *       comma-separated, {@code *} as a wildcard, as Ollama's OLLAMA_ORIGINS.
 * </ul>
 *
 * @param bindHost the address to bind; null binds every interface
 * @param idleTimeout how long a kept-alive connection may sit unused between requests (requests
 *     themselves get {@link MicaHttpServer#REQUEST_IDLE_TIMEOUT})
 * @param apiKey the key every request must present, or null for none
 * @param origins extra allowed browser origins (patterns)
 */
record HttpSettings(String bindHost, int port, long maxBody, String version, Duration idleTimeout, String apiKey, List<String> origins) {
    static final String HOST = "mica.host";
    static final String MAX_BODY = "mica.http.max_body";
    static final String API_KEY = "mica.api_key";
    static final String ORIGINS = "mica.origins";
    static final String DEFAULT_HOST = "127.0.0.1:11434";
    static final int DEFAULT_PORT = 11434;
    static final long DEFAULT_MAX_BODY = 64L << 20;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

    HttpSettings {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
        if (maxBody < 1) throw new IllegalArgumentException("max body must be positive: " + maxBody);
        if (apiKey != null && apiKey.isBlank()) apiKey = null;
        origins = origins == null ? List.of() : List.copyOf(origins);
    }

    /** Settings from properties ({@code BundleContext::getProperty} in OSGi). */
    static HttpSettings from(Function<String, String> properties, String version) {
        String host = properties.apply(HOST);
        String maxBody = properties.apply(MAX_BODY);
        HostPort hp = parseHost(host == null || host.isBlank() ? DEFAULT_HOST : host);
        String apiKey = properties.apply(API_KEY);
        String origins = properties.apply(ORIGINS);
        return new HttpSettings(hp.host(), hp.port(), maxBody == null ? DEFAULT_MAX_BODY : parseSize(maxBody), version, DEFAULT_IDLE_TIMEOUT,
                apiKey == null ? null : apiKey.trim(), origins == null ? List.of() : parseOrigins(origins));
    }

    /** For tests and embedding: a loopback server on the given port. */
    static HttpSettings loopback(int port) {
        return new HttpSettings("127.0.0.1", port, DEFAULT_MAX_BODY, "0.0.0-test", DEFAULT_IDLE_TIMEOUT, null, List.of());
    }

    HttpSettings withMaxBody(long bytes) {
        return new HttpSettings(bindHost, port, bytes, version, idleTimeout, apiKey, origins);
    }

    HttpSettings withIdleTimeout(Duration timeout) {
        return new HttpSettings(bindHost, port, maxBody, version, timeout, apiKey, origins);
    }

    HttpSettings withApiKey(String key) {
        return new HttpSettings(bindHost, port, maxBody, version, idleTimeout, key, origins);
    }

    HttpSettings withOrigins(List<String> patterns) {
        return new HttpSettings(bindHost, port, maxBody, version, idleTimeout, apiKey, patterns);
    }

    /** Comma-separated origin patterns; blanks are dropped. */
    static List<String> parseOrigins(String value) {
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    record HostPort(String host, int port) {}

    /** Parses OLLAMA_HOST-style values; an empty host means every interface (null). */
    static HostPort parseHost(String value) {
        String s = value.trim();
        int scheme = s.indexOf("://");
        if (scheme >= 0) {
            String name = s.substring(0, scheme).toLowerCase(Locale.ROOT);
            if (!name.equals("http")) throw new IllegalArgumentException(HOST + ": only http is served, not " + name);
            s = s.substring(scheme + 3);
        }
        if (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        String host;
        String port = null;
        if (s.startsWith("[")) { // [::1]:port
            int close = s.indexOf(']');
            if (close < 0) throw new IllegalArgumentException(HOST + ": bad IPv6 address in " + value);
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (rest.startsWith(":")) port = rest.substring(1);
            else if (!rest.isEmpty()) throw new IllegalArgumentException(HOST + ": cannot parse " + value);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') == colon) {
                host = s.substring(0, colon);
                port = s.substring(colon + 1);
            } else {
                host = s; // a bare host, or a bare IPv6 address
            }
        }
        int p;
        try {
            p = port == null ? DEFAULT_PORT : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(HOST + ": bad port in " + value);
        }
        if (p < 0 || p > 65535) throw new IllegalArgumentException(HOST + ": port out of range in " + value);
        return new HostPort(host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") ? null : host, p);
    }

    /** {@code 1048576}, {@code 512K}, {@code 64M}, {@code 1G} (binary units; a trailing B or iB is allowed). */
    static long parseSize(String value) {
        String s = value.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> { }
            }
            if (unit > 1) s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s.trim());
            if (n <= 0) throw new NumberFormatException();
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(MAX_BODY + ": not a size: " + value);
        }
    }
}
