package dev.mica.store;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * Where pulls come from and how downloads behave.
 *
 * @param registry the base URL that stands for Ollama's registry ({@code registry.ollama.ai} in
 *     names); {@code mica.registry}, default {@code https://registry.ollama.ai}
 * @param huggingFace Hugging Face's base URL for {@code hf.co/...} names; {@code mica.hf.endpoint}
 *     or {@code HF_ENDPOINT}, default {@code https://huggingface.co}
 * @param huggingFaceToken sent to Hugging Face only (gated and private repositories), or null;
 *     {@code mica.hf.token} or {@code HF_TOKEN}
 * @param parallel connections per blob
 * @param minPart a blob is cut into parts of at least this many bytes (the last may be shorter)
 * @param maxParts and into at most this many parts
 * @param retries how often a part is retried after a failure that made no progress
 * @param backoff the first pause before a retry; it doubles up to 16 times this
 * @param stall a connection that delivers nothing for this long is dropped and retried
 * @param connectTimeout for each connection
 */
record PullSettings(URI registry, URI huggingFace, String huggingFaceToken, int parallel, long minPart, int maxParts,
        int retries, Duration backoff, Duration stall, Duration connectTimeout) {

    static final URI OLLAMA_REGISTRY = URI.create("https://registry.ollama.ai");
    static final URI HUGGING_FACE = URI.create("https://huggingface.co");

    PullSettings {
        if (parallel < 1 || maxParts < 1 || minPart < 1 || retries < 0) {
            throw new IllegalArgumentException("pull settings out of range: parallel " + parallel + ", parts " + maxParts + ", min part " + minPart + ", retries " + retries);
        }
        registry = withoutTrailingSlash(registry);
        huggingFace = withoutTrailingSlash(huggingFace);
    }

    static PullSettings defaults() {
        return new PullSettings(OLLAMA_REGISTRY, HUGGING_FACE, null, 4, 64L << 20, 16, 6,
                Duration.ofMillis(500), Duration.ofSeconds(60), Duration.ofSeconds(10));
    }

    /** From framework properties ({@code mica.*}), then the environment for Hugging Face's own variables. */
    static PullSettings from(Function<String, String> property, Map<String, String> env) {
        PullSettings d = defaults();
        String registry = property.apply("mica.registry");
        String hf = first(property.apply("mica.hf.endpoint"), env.get("HF_ENDPOINT"));
        String token = first(property.apply("mica.hf.token"), env.get("HF_TOKEN"));
        String parallel = property.apply("mica.pull.parallel");
        return new PullSettings(
                registry == null || registry.isBlank() ? d.registry() : baseUri(registry, "mica.registry"),
                hf == null || hf.isBlank() ? d.huggingFace() : baseUri(hf, "mica.hf.endpoint"),
                token == null || token.isBlank() ? null : token.strip(),
                parallel == null || parallel.isBlank() ? d.parallel() : Integer.parseInt(parallel.strip()),
                d.minPart(), d.maxParts(), d.retries(), d.backoff(), d.stall(), d.connectTimeout());
    }

    PullSettings withRegistry(URI registry) {
        return new PullSettings(registry, huggingFace, huggingFaceToken, parallel, minPart, maxParts, retries, backoff, stall, connectTimeout);
    }

    PullSettings withHuggingFace(URI endpoint, String token) {
        return new PullSettings(registry, endpoint, token, parallel, minPart, maxParts, retries, backoff, stall, connectTimeout);
    }

    /** Download tuning: parallelism, part size, retries, the first retry pause and the stall limit. */
    PullSettings withDownloads(int parallel, long minPart, int maxParts, int retries, Duration backoff, Duration stall) {
        return new PullSettings(registry, huggingFace, huggingFaceToken, parallel, minPart, maxParts, retries, backoff, stall, connectTimeout);
    }

    private static URI baseUri(String value, String key) {
        URI u = URI.create(value.strip());
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException(key + " must be an http(s) URL, not '" + value + "'");
        }
        return u;
    }

    private static URI withoutTrailingSlash(URI u) {
        String s = u.toString();
        return s.endsWith("/") ? URI.create(s.substring(0, s.length() - 1)) : u;
    }

    private static String first(String a, String b) {
        return a != null && !a.isBlank() ? a : b;
    }
}
