package dev.mica.itests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Ollama registry on 127.0.0.1 for pulls through the booted kernel: manifests and blobs (with
 * Range, as the store asks for parts), and a blob that can be served with bytes that do not hash
 * to its digest. A trimmed copy of the store's own FakeRegistry, which is test code of another
 * module and so not on this module's class path.
 */
final class LoopbackRegistry implements AutoCloseable {
    static final String MODEL = "application/vnd.ollama.image.model";
    static final String PARAMS = "application/vnd.ollama.image.params";
    private static final String CONFIG = "application/vnd.docker.container.image.v1+json";
    private static final String MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
    private static final Pattern MANIFEST = Pattern.compile("/v2/([^/]+)/([^/]+)/manifests/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("/v2/([^/]+)/([^/]+)/blobs/(sha256:[0-9a-f]{64})");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();

    LoopbackRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** {@code 127.0.0.1:<port>}, the host part of a model name that names this registry. */
    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    static String digestOf(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A model with its weights, params (JSON, or null) and a config blob; returns the weights' digest. */
    String addModel(String repository, String tag, byte[] weights, String params) throws IOException {
        List<Map<String, Object>> layers = new ArrayList<>();
        String digest = addBlob(weights);
        layers.add(layer(MODEL, digest, weights.length));
        if (params != null) {
            byte[] p = params.getBytes(StandardCharsets.UTF_8);
            layers.add(layer(PARAMS, addBlob(p), p.length));
        }
        // the same config for every model, as models of one family share theirs on Ollama's registry
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\"}".getBytes(StandardCharsets.UTF_8);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_TYPE);
        manifest.put("config", layer(CONFIG, addBlob(config), config.length));
        manifest.put("layers", layers);
        manifests.put(repository + ":" + tag, JSON.writeValueAsBytes(manifest));
        return digest;
    }

    /** The blob is served with one byte flipped: what arrives no longer hashes to its digest. */
    void corrupt(String digest) {
        byte[] b = blobs.get(digest).clone();
        b[b.length / 2] ^= 0x55;
        corrupt.put(digest, b);
    }

    private String addBlob(byte[] data) {
        String digest = digestOf(data);
        blobs.put(digest, data);
        return digest;
    }

    private static Map<String, Object> layer(String mediaType, String digest, long size) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("mediaType", mediaType);
        l.put("digest", digest);
        l.put("size", size);
        return l;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Matcher m;
            if ((m = MANIFEST.matcher(path)).matches()) {
                byte[] body = manifests.get(m.group(1) + "/" + m.group(2) + ":" + m.group(3));
                if (body == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", MANIFEST_TYPE);
                send(ex, 200, body);
            } else if ((m = BLOB.matcher(path)).matches()) {
                byte[] data = corrupt.getOrDefault(m.group(3), blobs.get(m.group(3)));
                if (data == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                serveRange(ex, data);
            } else {
                send(ex, 404, "not found".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void serveRange(HttpExchange ex, byte[] data) throws IOException {
        int from = 0, to = data.length - 1, status = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null) {
            Matcher r = RANGE.matcher(range);
            if (!r.matches()) {
                send(ex, 400, new byte[0]);
                return;
            }
            from = Integer.parseInt(r.group(1));
            if (!r.group(2).isEmpty()) to = Math.min(to, Integer.parseInt(r.group(2)));
            if (from > to) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                send(ex, 416, new byte[0]);
                return;
            }
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + data.length);
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.sendResponseHeaders(status, to - from + 1L);
        ex.getResponseBody().write(data, from, to - from + 1);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
