package dev.mica.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GGUF files from a Hugging Face repository, for names {@code hf.co/<org>/<repo>:<quant>}: the
 * repository's file listing ({@code /api/models/<org>/<repo>/tree/main}) gives each file's size
 * and, for LFS files, its sha256; the file whose name carries the quantization is downloaded from
 * {@code /<org>/<repo>/resolve/main/<path>}. Without a quantization ({@code :latest}) Q4_K_M is
 * taken, as Ollama does, or the repository's only GGUF file.
 */
final class HuggingFace {
    static final String DEFAULT_QUANT = "Q4_K_M";
    private static final int MAX_LISTING = 16 << 20;
    private static final int MAX_PAGES = 50;
    private static final Pattern SPLIT = Pattern.compile("(?i).*-\\d{5}-of-\\d{5}\\.gguf");
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

    /** One GGUF file of the repository with its sha256 digest ({@code sha256:<hex>}). */
    record GgufFile(String path, long size, String digest) {}

    private final Http http;
    private final URI endpoint;
    private final String token;

    HuggingFace(Http http, URI endpoint, String token) {
        this.http = http;
        this.endpoint = endpoint;
        this.token = token;
    }

    URI endpoint() {
        return endpoint;
    }

    /** The GGUF file the name's tag selects. */
    GgufFile resolve(ModelName name) throws IOException {
        List<GgufFile> files = ggufFiles(name);
        if (files.isEmpty()) {
            throw new Http.NotFoundException("hf.co/" + name.repository() + " has no GGUF files");
        }
        String quant = name.tag();
        List<GgufFile> matches;
        if (quant.equalsIgnoreCase("latest")) {
            matches = matching(files, DEFAULT_QUANT);
            if (matches.isEmpty() && files.size() == 1) matches = files;
            if (matches.isEmpty()) {
                throw new Http.NotFoundException("hf.co/" + name.repository() + " has no " + DEFAULT_QUANT + " file; name one of its files' quantizations as the tag: " + names(files));
            }
        } else {
            matches = matching(files, quant);
            if (matches.isEmpty()) {
                throw new Http.NotFoundException("hf.co/" + name.repository() + " has no GGUF file for '" + quant + "'; it has: " + names(files));
            }
        }
        for (GgufFile f : matches) {
            if (SPLIT.matcher(f.path()).matches()) {
                throw new Http.FatalException(f.path() + " is one part of a split GGUF; split models are not supported yet");
            }
        }
        if (matches.size() > 1) {
            throw new Http.FatalException("several files of hf.co/" + name.repository() + " match '" + quant + "': " + names(matches));
        }
        GgufFile f = matches.getFirst();
        if (f.digest() == null) {
            throw new Http.FatalException("the listing of hf.co/" + name.repository() + " gives no sha256 for " + f.path() + ", so it cannot be verified");
        }
        return f;
    }

    Http.RangeSource source(ModelName name, GgufFile file) {
        StringBuilder path = new StringBuilder();
        for (String segment : file.path().split("/")) {
            path.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return http.ranges(URI.create(endpoint + "/" + name.repository() + "/resolve/main" + path), headers());
    }

    /** Files named {@code ...<sep><quant>.gguf} (or {@code <sep><quant>-...}), case-insensitive. */
    static List<GgufFile> matching(List<GgufFile> files, String quant) {
        Pattern p = Pattern.compile("(?i)(^|[-._/])" + Pattern.quote(quant) + "([-.]|$)");
        List<GgufFile> out = new ArrayList<>();
        for (GgufFile f : files) {
            String base = f.path().substring(0, f.path().length() - ".gguf".length());
            if (p.matcher(base).find()) out.add(f);
        }
        return out;
    }

    private List<GgufFile> ggufFiles(ModelName name) throws IOException {
        List<GgufFile> files = new ArrayList<>();
        URI next = URI.create(endpoint + "/api/models/" + name.repository() + "/tree/main?recursive=true");
        for (int page = 0; next != null && page < MAX_PAGES; page++) {
            try (Http.Response r = http.get(next, headers())) {
                switch (r.status()) {
                    case 200 -> { }
                    case 404 -> throw new Http.NotFoundException("no repository hf.co/" + name.repository() + " at " + endpoint);
                    case 401, 403 -> throw new Http.FatalException("hf.co/" + name.repository() + " is gated or private (" + r.status()
                            + "): accept its terms on Hugging Face and set HF_TOKEN");
                    default -> throw new Http.FatalException(endpoint.getHost() + " answered " + r.status() + " listing hf.co/" + name.repository() + ": " + r.excerpt());
                }
                JsonNode listing = Manifest.JSON.readTree(r.read(MAX_LISTING));
                if (!listing.isArray()) throw new Http.FatalException(endpoint.getHost() + " sent a file listing that is not a JSON array");
                for (JsonNode e : listing) {
                    String path = e.path("path").asText("");
                    if (!"file".equals(e.path("type").asText()) || !path.toLowerCase(Locale.ROOT).endsWith(".gguf")) continue;
                    if (path.toLowerCase(Locale.ROOT).contains("mmproj")) continue; // vision projectors, not models
                    String oid = e.path("lfs").path("oid").asText(null);
                    String digest = oid != null && oid.matches("[0-9a-f]{64}") ? "sha256:" + oid : null;
                    long size = e.path("lfs").path("size").asLong(e.path("size").asLong(-1));
                    if (size < 0) throw new Http.FatalException("the listing of hf.co/" + name.repository() + " gives no size for " + path);
                    files.add(new GgufFile(path, size, digest));
                }
                next = nextPage(r.header("Link"), next);
            }
        }
        return files;
    }

    private static URI nextPage(String link, URI current) {
        if (link == null) return null;
        Matcher m = NEXT_LINK.matcher(link);
        return m.find() ? current.resolve(m.group(1)) : null;
    }

    private Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        if (token != null) h.put("Authorization", "Bearer " + token);
        return h;
    }

    private static String names(List<GgufFile> files) {
        return String.join(", ", files.stream().map(GgufFile::path).toList());
    }
}
