package dev.mica.store;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Ollama/OCI registry and a Hugging Face-style file host on 127.0.0.1, for pull tests. Blobs
 * honour Range requests; faults can be injected per blob: connections cut after some bytes, bytes
 * that do not match the digest. Every request is recorded with its Range and Authorization headers.
 */
final class FakeRegistry implements AutoCloseable {
    private static final Pattern MANIFEST = Pattern.compile("/v2/([^/]+)/([^/]+)/manifests/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("/v2/([^/]+)/([^/]+)/blobs/(sha256:[0-9a-f]{64})");
    private static final Pattern TREE = Pattern.compile("/api/models/([^/]+)/([^/]+)/tree/main");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+)/([^/]+)/resolve/main/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    record Request(String method, String path, String range, String authorization) {
        /** The first byte a ranged request asked for; 0 without a Range header. */
        long rangeStart() {
            if (range == null) return 0;
            Matcher m = RANGE.matcher(range);
            return m.matches() ? Long.parseLong(m.group(1)) : -1;
        }
    }

    /** A cut: the next {@code times} responses of a blob stop after {@code after} body bytes. */
    private record Cut(long after, AtomicInteger times) {}

    private final HttpServer server;
    private final HttpServer cdn;
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();
    private final Map<String, Cut> cuts = new ConcurrentHashMap<>();
    private final Map<String, List<Map<String, Object>>> hfRepos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> hfFiles = new ConcurrentHashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger blobBytesSent = new AtomicInteger();
    private volatile String requiredToken;

    FakeRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
        cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn.setExecutor(Executors.newCachedThreadPool());
        cdn.createContext("/", this::handleCdn);
        cdn.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    URI cdnUri() {
        return URI.create("http://127.0.0.1:" + cdn.getAddress().getPort());
    }

    /** A GGUF-looking blob of {@code size} pseudo-random bytes. */
    static byte[] gguf(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        System.arraycopy("GGUF".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 4);
        return b;
    }

    String addBlob(byte[] data) {
        String digest = Blobs.digestOf(data);
        blobs.put(digest, data);
        return digest;
    }

    /**
     * A model as Ollama's registry serves it: model weights, a template, params and a config blob.
     * Returns the manifest's bytes.
     */
    byte[] addModel(String repository, String tag, byte[] weights, String template, String params) {
        List<Map<String, Object>> layers = new ArrayList<>();
        layers.add(layer(Manifest.MODEL, addBlob(weights), weights.length));
        if (template != null) {
            byte[] t = template.getBytes(StandardCharsets.UTF_8);
            layers.add(layer(Manifest.TEMPLATE, addBlob(t), t.length));
        }
        if (params != null) {
            byte[] p = params.getBytes(StandardCharsets.UTF_8);
            layers.add(layer(Manifest.PARAMS, addBlob(p), p.length));
        }
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\"}".getBytes(StandardCharsets.UTF_8);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", Manifest.DOCKER_MANIFEST);
        manifest.put("config", layer(Manifest.CONFIG, addBlob(config), config.length));
        manifest.put("layers", layers);
        return putManifest(repository, tag, json(manifest));
    }

    byte[] putManifest(String repository, String tag, byte[] manifest) {
        manifests.put(repository + ":" + tag, manifest);
        return manifest;
    }

    static Map<String, Object> layer(String mediaType, String digest, long size) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("mediaType", mediaType);
        l.put("digest", digest);
        l.put("size", size);
        return l;
    }

    static byte[] json(Object value) {
        try {
            return Manifest.JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next {@code times} responses for the blob end (connection closed) after {@code after} body bytes. */
    void cut(String digest, long after, int times) {
        cuts.put(digest, new Cut(after, new AtomicInteger(times)));
    }

    /** The blob is served with one byte flipped: its digest no longer matches. */
    void corrupt(String digest) {
        byte[] b = blobs.get(digest).clone();
        b[b.length / 2] ^= 0x55;
        corrupt.put(digest, b);
    }

    /** Manifests then need {@code Authorization: Bearer <token>}, handed out by /token. */
    void requireToken(String token) {
        requiredToken = token;
    }

    /** A Hugging Face repository: files by path; .gguf files get LFS entries with their sha256. */
    void addHfRepo(String repository, Map<String, byte[]> files) {
        List<Map<String, Object>> listing = new ArrayList<>();
        files.forEach((path, data) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("type", "file");
            e.put("oid", "0123456789abcdef0123456789abcdef01234567");
            e.put("size", data.length);
            e.put("path", path);
            if (path.endsWith(".gguf")) {
                e.put("lfs", Map.of("oid", Blobs.digestOf(data).substring(7), "size", data.length, "pointerSize", 135));
            }
            listing.add(e);
            hfFiles.put(repository + "/" + path, data);
        });
        hfRepos.put(repository, listing);
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    List<Request> blobRequests(String digest) {
        return requests().stream().filter(r -> r.path().endsWith("/blobs/" + digest)).toList();
    }

    int blobBytesSent() {
        return blobBytesSent.get();
    }

    void clearRecords() {
        requests.clear();
        blobBytesSent.set(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            requests.add(new Request(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
            Matcher m;
            if (path.equals("/token")) {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                send(ex, 200, ("{\"token\":\"" + requiredToken + "\"}").getBytes(StandardCharsets.UTF_8));
            } else if ((m = MANIFEST.matcher(path)).matches()) {
                if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + uri() + "/token\",service=\"fake\",scope=\"repository:" + m.group(1) + "/" + m.group(2) + ":pull\"");
                    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                byte[] body = manifests.get(m.group(1) + "/" + m.group(2) + ":" + m.group(3));
                if (body == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", Manifest.DOCKER_MANIFEST);
                send(ex, 200, body);
            } else if ((m = BLOB.matcher(path)).matches()) {
                String digest = m.group(3);
                byte[] data = corrupt.getOrDefault(digest, blobs.get(digest));
                if (data == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                serveRange(ex, data, cuts.get(digest));
            } else if ((m = TREE.matcher(path)).matches()) {
                List<Map<String, Object>> listing = hfRepos.get(m.group(1) + "/" + m.group(2));
                if (listing == null) {
                    send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "application/json");
                send(ex, 200, json(listing));
            } else if ((m = RESOLVE.matcher(path)).matches()) {
                String key = m.group(1) + "/" + m.group(2) + "/" + m.group(3);
                if (!hfFiles.containsKey(key)) {
                    send(ex, 404, "Entry not found".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                // Like Hugging Face: LFS files are served by a CDN on another host.
                ex.getResponseHeaders().set("Location", cdnUri() + "/files/" + key);
                send(ex, 302, new byte[0]);
            } else {
                send(ex, 404, "not found".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            requests.add(new Request(ex.getRequestMethod(), "cdn:" + path, ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
            byte[] data = path.startsWith("/files/") ? hfFiles.get(path.substring("/files/".length())) : null;
            if (data == null) {
                send(ex, 404, "not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            serveRange(ex, data, null);
        }
    }

    private void serveRange(HttpExchange ex, byte[] data, Cut cut) throws IOException {
        long from = 0, to = data.length - 1L;
        String range = ex.getRequestHeaders().getFirst("Range");
        int status = 200;
        if (range != null) {
            Matcher r = RANGE.matcher(range);
            if (!r.matches()) {
                send(ex, 400, new byte[0]);
                return;
            }
            from = Long.parseLong(r.group(1));
            if (!r.group(2).isEmpty()) to = Math.min(to, Long.parseLong(r.group(2)));
            if (from > to) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                send(ex, 416, new byte[0]);
                return;
            }
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + data.length);
        }
        long length = to - from + 1;
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.sendResponseHeaders(status, length);
        OutputStream out = ex.getResponseBody();
        long limit = length;
        boolean cutting = cut != null && cut.times().getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
        if (cutting) limit = Math.min(length, cut.after());
        out.write(data, (int) from, (int) limit);
        out.flush();
        blobBytesSent.addAndGet((int) limit);
        if (cutting && limit < length) {
            // Closing the exchange with bytes missing drops the connection: the client sees a short body.
            throw new IOException("cut after " + limit + " bytes");
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        cdn.stop(0);
    }
}
