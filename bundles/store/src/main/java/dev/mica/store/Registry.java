package dev.mica.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Ollama/OCI distribution registry: {@code GET /v2/<namespace>/<model>/manifests/<tag>}, then
 * {@code /v2/<namespace>/<model>/blobs/<digest>}. Public pulls need no login; a registry that
 * answers 401 with a Bearer challenge gets the anonymous token dance of the distribution spec.
 */
final class Registry {
    static final int MAX_MANIFEST = 4 << 20;
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final Http http;
    private final URI base;
    private volatile String authorization;

    Registry(Http http, URI base) {
        this.http = http;
        this.base = base;
    }

    /** The configured registry for Ollama's own host; otherwise the host in the name, over HTTPS unless insecure. */
    static URI baseFor(ModelName name, PullSettings settings, boolean insecure) {
        if (name.host().equals(ModelName.DEFAULT_HOST)) return settings.registry();
        return URI.create((insecure ? "http://" : "https://") + name.host());
    }

    URI base() {
        return base;
    }

    /** The manifest's bytes as served (they are stored as they are, like Ollama does). */
    byte[] manifest(ModelName name) throws IOException {
        URI uri = URI.create(base + "/v2/" + name.repository() + "/manifests/" + name.tag());
        for (int attempt = 0; ; attempt++) {
            try (Http.Response r = http.get(uri, headers(Manifest.DOCKER_MANIFEST + ", " + Manifest.OCI_MANIFEST))) {
                switch (r.status()) {
                    case 200 -> {
                        return r.read(MAX_MANIFEST);
                    }
                    case 404 -> throw new Http.NotFoundException("model '" + name.display() + "' was not found in the registry at " + base);
                    case 401 -> {
                        String challenge = r.header("WWW-Authenticate");
                        if (attempt > 0 || challenge == null || !challenge.regionMatches(true, 0, "Bearer ", 0, 7)) {
                            throw new Http.FatalException("the registry at " + base + " refused access to '" + name.display() + "' (401)");
                        }
                        authorization = "Bearer " + token(challenge);
                    }
                    default -> {
                        String text = r.excerpt();
                        throw new Http.FatalException("the registry at " + base + " answered " + r.status() + " for '" + name.display() + "'"
                                + (text.isEmpty() ? "" : ": " + text));
                    }
                }
            }
        }
    }

    Http.RangeSource blob(ModelName name, String digest) {
        return http.ranges(URI.create(base + "/v2/" + name.repository() + "/blobs/" + Blobs.normalize(digest)), headers(null));
    }

    private Map<String, String> headers(String accept) {
        Map<String, String> h = new LinkedHashMap<>();
        if (accept != null) h.put("Accept", accept);
        String auth = authorization;
        if (auth != null) h.put("Authorization", auth);
        return h;
    }

    /** {@code Bearer realm="...",service="...",scope="..."} → an anonymous token from the realm. */
    private String token(String challenge) throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        String realm = params.remove("realm");
        if (realm == null) throw new Http.FatalException("the registry at " + base + " sent a Bearer challenge without a realm");
        StringBuilder q = new StringBuilder(realm);
        char sep = realm.contains("?") ? '&' : '?';
        for (var e : params.entrySet()) {
            q.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        URI realmUri = base.resolve(q.toString());
        try (Http.Response r = http.get(realmUri, Map.of())) {
            if (r.status() != 200) {
                throw new Http.FatalException("the registry's token service " + realmUri.getHost() + " refused an anonymous token (" + r.status() + ")");
            }
            JsonNode json = Manifest.JSON.readTree(r.read(1 << 16));
            String token = json.path("token").asText(json.path("access_token").asText(""));
            if (token.isEmpty()) throw new Http.FatalException("the registry's token service sent no token");
            return token;
        }
    }
}
