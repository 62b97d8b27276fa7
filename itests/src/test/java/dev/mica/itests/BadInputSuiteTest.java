package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.kernel.MicaRuntime;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input suite on the real kernel: malformed and hostile requests to the three APIs, each
 * answered with the right 4xx in its API's shape, never a 5xx; streams dropped mid-answer, alone
 * and many at once; and afterwards the server still answers and holds no sequence and no queued
 * request. A random-weight model on the GGML backend makes the grammar and context paths real.
 */
class BadInputSuiteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final String PNG = Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});

    @TempDir Path work;

    /** One hostile request: where, what, and the status and error-shape it must get. */
    private record Case(String method, String path, String body, int status, String api) {
        static Case post(String path, String body, int status) {
            return new Case("POST", path, body, status, path.startsWith("/v1/messages") ? "anthropic" : path.startsWith("/v1/") ? "openai" : "ollama");
        }
    }

    static List<Case> cases() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        String big = "{\"model\":\"tiny\",\"prompt\":\"" + "x".repeat(2 << 20) + "\"}";
        return List.of(
                // Ollama
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":", 400),
                Case.post("/api/generate", "", 400),
                Case.post("/api/generate", "[]", 400),
                Case.post("/api/generate", deep, 400),
                Case.post("/api/generate", big, 413),
                Case.post("/api/generate", "{\"prompt\":\"hi\"}", 400),
                Case.post("/api/generate", "{\"model\":\"nope\",\"prompt\":\"hi\"}", 404),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":7}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"temperature\":\"hot\"}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"temperature\":1e400}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"top_p\":5}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"num_predict\":-9}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"num_ctx\":0}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"num_ctx\":99999999999}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"keep_alive\":\"forever\"}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"keep_alive\":{}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"format\":\"xml\"}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"format\":{\"type\":\"strnig\"}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"format\":{\"$ref\":\"#/$defs/none\"}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"format\":{\"type\":\"string\",\"minLength\":-1}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"format\":{\"type\":\"array\",\"minItems\":1000000}}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"think\":\"maximum\"}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"images\":[\"%%%\"]}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"images\":[\"" + PNG + "\"]}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"context\":[\"a\"]}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"raw\":true,\"context\":[999999999]}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"top_logprobs\":50}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"suffix\":\"end\"}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"template\":\"{% for %}\"}", 400),
                Case.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"" + "word ".repeat(3000) + "\",\"raw\":true}", 400),
                Case.post("/api/chat", "{\"model\":\"tiny\",\"messages\":\"hi\"}", 400),
                Case.post("/api/chat", "{\"model\":\"tiny\",\"messages\":[{\"content\":\"hi\"}]}", 400),
                Case.post("/api/chat", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"x\"}]}]}", 400),
                Case.post("/api/chat", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{no\"}}]}]}", 400),
                Case.post("/api/chat", "{\"model\":\"tiny\",\"format\":{\"enum\":[]}," + HI + "}", 400),
                Case.post("/api/embed", "{\"model\":\"tiny\",\"input\":42}", 400),
                Case.post("/api/embed", "{\"model\":\"tiny\",\"input\":\"x\",\"dimensions\":0}", 400),
                Case.post("/api/show", "{\"model\":\"nope\"}", 404),
                new Case("DELETE", "/api/delete", "{\"model\":\"nope\"}", 404, "ollama"),
                Case.post("/api/copy", "{\"source\":\"tiny\"}", 400),
                Case.post("/api/blobs/sha256:xyz", "data", 400),
                new Case("GET", "/api/nothing-here", null, 404, "ollama"),
                // OpenAI
                Case.post("/v1/chat/completions", "{\"model\":", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[]}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"n\":3," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"temperature\":9," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"max_tokens\":0," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\"}}," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":7}}}," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"response_format\":{\"type\":\"yaml\"}," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"b\"}}," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://example.com/a.png\"}}]}]}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"tiny\",\"stream_options\":true," + HI + "}", 400),
                Case.post("/v1/chat/completions", "{\"model\":\"nope\"," + HI + "}", 404),
                Case.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":[1,2,3]}", 400),
                Case.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\",\"logprobs\":10}", 400),
                Case.post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":[]}", 400),
                Case.post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":\"x\",\"encoding_format\":\"hex\"}", 400),
                new Case("GET", "/v1/models/nope", null, 404, "openai"),
                // Anthropic
                Case.post("/v1/messages", "{\"model\":\"tiny\"," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\"}]}]}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"http://x\"}}]}]}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"thinking\":{\"type\":\"lots\"}," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"tools\":[{\"name\":\"a\",\"input_schema\":{}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"b\"}," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"temperature\":3," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"stop_sequences\":[\"\"]," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"system\":5," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":-1," + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"nope\",\"max_tokens\":8," + HI + "}", 404),
                Case.post("/v1/messages/count_tokens", "{" + HI + "}", 400),
                Case.post("/v1/messages", "{\"model\":\"tiny\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"" + PNG + "\"}}]}]}", 400));
    }

    @Test
    void hostileRequestsGetTheRight4xxAndLeaveNothingBehind() throws Exception {
        Path model = work.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        // The same shape with a long context: its answers run for thousands of tokens, seconds each,
        // so a sequence freed within a moment of the drop was freed by the drop.
        SyntheticModels.LlamaConfig t = SyntheticModels.LlamaConfig.tiny();
        Path longModel = work.resolve("long.gguf");
        SyntheticModels.writeLlama(new SyntheticModels.LlamaConfig("long", t.nEmbd(), t.nLayer(), t.nHead(), t.nHeadKv(), t.nFf(), t.nVocab(),
                8192, t.ropeTheta(), t.rmsEps(), t.vocab(), t.tieEmbeddings(), t.seed()), GgmlType.F32, longModel);
        try (MicaRuntime kernel = Kernels.boot(work, Map.of("mica.backends", "ggml", "mica.num_thread", "1", "mica.num_parallel", "4",
                "mica.http.max_body", "1M"))) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(200, send(http, url, "POST", "/api/create", "{\"model\":\"tiny\",\"from\":" + JSON.writeValueAsString(model.toString()) + ",\"stream\":false}").statusCode());
            assertEquals(200, send(http, url, "POST", "/api/create", "{\"model\":\"long\",\"from\":" + JSON.writeValueAsString(longModel.toString()) + ",\"stream\":false}").statusCode());

            List<Case> cases = cases();
            assertTrue(cases.size() >= 50, "the suite has " + cases.size() + " cases");
            List<String> wrong = new ArrayList<>();
            for (Case c : cases) {
                HttpResponse<String> r = send(http, url, c.method(), c.path(), c.body());
                String problem = check(c, r);
                if (problem != null) wrong.add(c.method() + " " + c.path() + " " + abbreviate(c.body()) + ": " + problem);
                assertEquals(200, send(http, url, "GET", "/", null).statusCode(), "alive after " + c.path());
            }
            assertTrue(wrong.isEmpty(), wrong.size() + " of " + cases.size() + " cases wrong:\n" + String.join("\n", wrong));

            // a client that drops its stream frees its sequence, alone and eight at once
            dropMidStream(url, "/api/generate", "{\"model\":\"long\",\"prompt\":\"go on\",\"raw\":true}");
            dropMidStream(url, "/v1/chat/completions", "{\"model\":\"long\",\"stream\":true," + HI + "}");
            dropMidStream(url, "/v1/messages", "{\"model\":\"long\",\"stream\":true,\"max_tokens\":4000," + HI + "}");
            List<CompletableFuture<Void>> drops = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                // a thousand booleans: the grammar keeps the answer going for thousands of tokens
                String body = "{\"model\":\"long\",\"prompt\":\"stream " + i + "\",\"raw\":true,"
                        + "\"format\":{\"type\":\"array\",\"minItems\":1000,\"items\":{\"type\":\"boolean\"}}}";
                drops.add(CompletableFuture.runAsync(() -> {
                    try {
                        dropMidStream(url, "/api/generate", body);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            CompletableFuture.allOf(drops.toArray(CompletableFuture[]::new)).get();

            // At once: the eight forced answers would run for many seconds (thousands of tokens each,
            // four at a time); a dropped client's sequence is freed at the next batch.
            long deadline = System.nanoTime() + 5_000_000_000L;
            Map<String, Double> metrics = metrics(http, url);
            while ((metrics.get("mica_sequences_running") > 0 || metrics.get("mica_queue_waiting_requests") > 0) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                metrics = metrics(http, url);
            }
            assertEquals(0.0, metrics.get("mica_sequences_running"), "every dropped stream gave its sequence back");
            assertEquals(0.0, metrics.get("mica_queue_waiting_requests"));
            for (var e : metrics.entrySet()) {
                assertTrue(!e.getKey().startsWith("mica_http_requests_total") || !e.getKey().contains("status=\"5"), "a 5xx was served: " + e.getKey());
            }
            HttpResponse<String> ok = send(http, url, "POST", "/api/generate", "{\"model\":\"tiny\",\"prompt\":\"still fine\",\"raw\":true,\"stream\":false,\"options\":{\"num_predict\":4}}");
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(4, JSON.readTree(ok.body()).path("eval_count").asInt());
        }
    }

    /** Null when the answer is right: the status, and the error in its API's own shape. */
    private static String check(Case c, HttpResponse<String> r) {
        if (r.statusCode() != c.status()) return "status " + r.statusCode() + " (wanted " + c.status() + "): " + abbreviate(r.body());
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (Exception e) {
            return "not JSON: " + abbreviate(r.body());
        }
        boolean shaped = switch (c.api()) {
            case "ollama" -> body.path("error").isTextual();
            case "openai" -> body.path("error").path("message").isTextual() && body.path("error").has("type");
            case "anthropic" -> "error".equals(body.path("type").asText()) && body.path("error").path("type").isTextual();
            default -> false;
        };
        return shaped ? null : "not in " + c.api() + "'s error shape: " + abbreviate(r.body());
    }

    /**
     * Starts a stream, reads until the answer flows, then closes the socket: the client is gone.
     * (A random-weight model may also end its answer at once; then there is nothing to drop.)
     */
    private static void dropMidStream(URI url, String path, String body) throws Exception {
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(30_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            int braces = 0;
            StringBuilder tail = new StringBuilder();
            for (int b; braces < 3 && (b = in.read()) != -1; ) {
                if (b == '{') braces++;
                tail.append((char) b);
                if (tail.length() > 8) tail.delete(0, tail.length() - 8);
                if (tail.toString().endsWith("\r\n0\r\n\r\n")) return; // the answer ended by itself before it got going
            }
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+(?:\\{[^}]*})?) (\\S+)$", Pattern.MULTILINE);

    private static Map<String, Double> metrics(HttpClient http, URI url) throws Exception {
        String text = send(http, url, "GET", "/metrics", null).body();
        Map<String, Double> out = new java.util.HashMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) out.put(m.group(1), m.group(2).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(2)));
        return out;
    }

    private static HttpResponse<String> send(HttpClient http, URI url, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(url.resolve(path)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
