package dev.mica.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP side of pulls: GETs that follow redirects by hand, so credentials go to the host they
 * belong to and never to the CDN a registry redirects blob downloads to, and ranged reads of blobs.
 * HTTP/1.1 only: each part of a parallel download gets a connection of its own.
 */
final class Http {
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** A failure a retry cannot fix: the server said no, or broke the protocol. */
    static class FatalException extends IOException {
        private static final long serialVersionUID = 1L;

        FatalException(String message) {
            super(message);
        }
    }

    /** A 404: the registry has no such thing. */
    static final class NotFoundException extends FatalException {
        private static final long serialVersionUID = 1L;

        NotFoundException(String message) {
            super(message);
        }
    }

    /** Opens a stream over bytes {@code from..to} (inclusive) of one file. */
    @FunctionalInterface
    interface RangeSource {
        InputStream open(long from, long to) throws IOException;
    }

    record Response(int status, URI uri, java.net.http.HttpHeaders headers, InputStream body) implements AutoCloseable {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** At most {@code max} bytes of the body; longer bodies are an error (a hostile server cannot fill memory). */
        byte[] read(int max) throws IOException {
            try (InputStream in = body) {
                byte[] data = in.readNBytes(max + 1);
                if (data.length > max) throw new FatalException(uri + " sent more than " + max + " bytes");
                return data;
            }
        }

        /** The start of the body, for error messages. */
        String excerpt() {
            try (InputStream in = body) {
                String s = new String(in.readNBytes(300), StandardCharsets.UTF_8).strip();
                return ModelName.printable(s);
            } catch (IOException e) {
                return "";
            }
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    private final Duration connectTimeout;
    private volatile HttpClient client;

    Http(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /**
     * Built at the first pull, not with the store: a client sets up TLS (the trust store, its
     * certificates) and a selector thread, about a fifth of the kernel's start-up, for a server
     * that may never pull.
     */
    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    client = c = HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(connectTimeout)
                            .build();
                }
            }
        }
        return c;
    }

    /**
     * GETs a URL, following redirects. {@code headers} go to the first URL's host only: a
     * redirect elsewhere (a CDN) does not see the credentials.
     */
    Response get(URI uri, Map<String, String> headers) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current).GET().timeout(connectTimeout.multipliedBy(6));
            boolean sameOrigin = Objects.equals(current.getHost(), uri.getHost()) && current.getPort() == uri.getPort();
            headers.forEach((k, v) -> {
                if (sameOrigin || !k.equalsIgnoreCase("Authorization")) b.header(k, v);
            });
            HttpResponse<InputStream> r;
            try {
                r = client().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while talking to " + current.getHost());
            }
            int status = r.statusCode();
            if (status >= 300 && status < 400 && r.headers().firstValue("Location").isPresent()) {
                r.body().close();
                current = current.resolve(r.headers().firstValue("Location").get());
                if (!"https".equals(current.getScheme()) && !"http".equals(current.getScheme())) {
                    throw new FatalException(uri + " redirects to an unsupported URL " + current);
                }
                continue;
            }
            return new Response(status, current, r.headers(), r.body());
        }
        throw new FatalException(uri + " redirects more than " + MAX_REDIRECTS + " times");
    }

    /**
     * A range source over one URL. A 206 must start where asked; a server that ignores ranges
     * (200) is read from the start and the bytes before {@code from} are skipped.
     */
    RangeSource ranges(URI uri, Map<String, String> headers) {
        return (from, to) -> {
            Map<String, String> h = new java.util.LinkedHashMap<>(headers);
            h.put("Range", "bytes=" + from + "-" + to);
            Response r = get(uri, h);
            switch (r.status()) {
                case 206 -> {
                    Matcher m = CONTENT_RANGE.matcher(Objects.requireNonNullElse(r.header("Content-Range"), ""));
                    if (!m.matches() || Long.parseLong(m.group(1)) != from) {
                        r.close();
                        throw new FatalException(uri.getHost() + " answered bytes=" + from + "-" + to + " with Content-Range '" + r.header("Content-Range") + "'");
                    }
                    return r.body();
                }
                case 200 -> {
                    InputStream in = r.body();
                    in.skipNBytes(from);
                    return in;
                }
                case 404 -> {
                    r.close();
                    throw new NotFoundException(uri + " was not found (404)");
                }
                case 416 -> {
                    r.close();
                    throw new FatalException(uri + " is shorter than the manifest says: bytes " + from + "-" + to + " are not there (416)");
                }
                default -> {
                    String text = r.excerpt();
                    IOException e = r.status() >= 500 || r.status() == 429
                            ? new IOException(uri.getHost() + " answered " + r.status() + (text.isEmpty() ? "" : ": " + text))
                            : new FatalException(uri.getHost() + " refused the download with " + r.status() + (text.isEmpty() ? "" : ": " + text));
                    throw e;
                }
            }
        };
    }

    /** Whether an exception means the host could not be reached at all. */
    static boolean unreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnresolvedAddressException || t instanceof UnknownHostException
                    || t instanceof HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The most telling message in a cause chain (ConnectException's own is often null). */
    static String reason(Throwable e) {
        // the whole chain first: the JDK's client wraps a failed name lookup in a ConnectException
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) return "unknown host";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) return "connection timed out";
            if (t instanceof ConnectException) return t.getMessage() == null || t.getMessage().isBlank() ? "connection refused" : t.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
