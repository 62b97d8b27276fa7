package dev.mica.http;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who may talk to the server, checked before every route, in this order:
 *
 * <ol>
 *   <li><b>Host</b>: bound to loopback, the server answers only requests addressed to a loopback
 *       name, so a web page cannot reach it through DNS rebinding (a hostile name resolving to
 *       127.0.0.1). Bound to another address, any Host is fine.
 *   <li><b>Origin</b> (browsers only; requests without one, such as curl or SDKs, pass): local
 *       origins and those in {@code mica.origins} (Ollama's defaults and OLLAMA_ORIGINS syntax,
 *       {@code *} as a wildcard) get CORS headers; others are refused with 403, so a web page
 *       cannot drive the server from the user's browser. Preflights are answered here.
 *   <li><b>API key</b>, when {@code mica.api_key} is set: {@code Authorization: Bearer <key>} (what
 *       Ollama's and OpenAI's clients send) or {@code x-api-key: <key>} (Anthropic's), compared in
 *       constant time; otherwise 401. Preflights carry no credentials and are exempt.
 * </ol>
 * Refusals are {@link ApiException}s, so each API answers in its own error shape.
 */
final class AccessControl {
    /** Ollama's built-in allowed origins: the local machine, and desktop app and editor web views. */
    static final List<String> LOCAL_ORIGINS = List.of(
            "http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
            "http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
            "http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
            "http://[::1]", "https://[::1]", "http://[::1]:*", "https://[::1]:*",
            "app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*");
    static final String ALLOWED_HEADERS = "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, X-Api-Key, "
            + "Anthropic-Version, Anthropic-Beta, Anthropic-Dangerous-Direct-Browser-Access, OpenAI-Beta, X-Stainless-Lang, "
            + "X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, "
            + "X-Stainless-Retry-Count, X-Stainless-Timeout";

    private final boolean loopbackOnly;
    private final List<Pattern> origins;
    private final byte[] apiKey;

    AccessControl(HttpSettings settings) {
        this.loopbackOnly = isLoopback(settings.bindHost());
        List<Pattern> patterns = new ArrayList<>();
        for (String o : LOCAL_ORIGINS) patterns.add(glob(o));
        for (String o : settings.origins()) patterns.add(glob(o));
        this.origins = List.copyOf(patterns);
        this.apiKey = settings.apiKey() == null ? null : settings.apiKey().getBytes(StandardCharsets.UTF_8);
    }

    /** The before-handler. A preflight is answered here and ends the request. */
    void check(Context ctx) {
        if (loopbackOnly && !isLoopbackHost(ctx.header("Host"))) {
            throw new ApiException(403, "forbidden: this server answers only requests to localhost (Host: " + ctx.header("Host") + ")", null);
        }
        String origin = ctx.header("Origin");
        if (origin != null) {
            if (!originAllowed(origin)) {
                throw new ApiException(403, "forbidden: origin " + origin + " is not allowed (add it to mica.origins)", null);
            }
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            if (ctx.method() == HandlerType.OPTIONS) {
                ctx.header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
                ctx.header("Access-Control-Allow-Headers", ALLOWED_HEADERS);
                ctx.header("Access-Control-Max-Age", "43200");
                ctx.status(204);
                ctx.skipRemainingHandlers();
                return;
            }
        }
        if (apiKey != null && ctx.method() != HandlerType.OPTIONS && !keyMatches(ctx)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "invalid or missing API key: send Authorization: Bearer <key> or x-api-key: <key>", null);
        }
    }

    boolean originAllowed(String origin) {
        for (Pattern p : origins) {
            if (p.matcher(origin).matches()) return true;
        }
        return false;
    }

    private boolean keyMatches(Context ctx) {
        String presented = ctx.header("x-api-key");
        String authorization = ctx.header("Authorization");
        if (presented == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).trim();
        }
        return presented != null && MessageDigest.isEqual(apiKey, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** Pattern syntax of OLLAMA_ORIGINS: literal text with {@code *} matching anything. */
    static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (String part : pattern.split("\\*", -1)) {
            if (!regex.isEmpty()) regex.append(".*");
            regex.append(Pattern.quote(part));
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE);
    }

    /** An explicit loopback bind; a wildcard bind (null) serves other machines too. */
    static boolean isLoopback(String bindHost) {
        if (bindHost == null) return false;
        if (bindHost.equalsIgnoreCase("localhost")) return true;
        return isLoopbackLiteral(bindHost);
    }

    /** {@code localhost}, {@code *.localhost} or a loopback address literal, with or without a port. */
    static boolean isLoopbackHost(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) return false;
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) return false;
            host = host.substring(1, close);
        } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        if (host.endsWith(".")) host = host.substring(0, host.length() - 1);
        return host.equals("localhost") || host.endsWith(".localhost") || isLoopbackLiteral(host);
    }

    /** Only literals are looked at: no name is ever resolved for a request. */
    private static boolean isLoopbackLiteral(String host) {
        if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) return false;
        try {
            return InetAddress.ofLiteral(host).isLoopbackAddress();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
