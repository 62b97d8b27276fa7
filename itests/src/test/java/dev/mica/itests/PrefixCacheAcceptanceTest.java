package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.kernel.MicaRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * The prefix cache on the real kernel and llama.cpp: two conversations share a system prompt, one
 * sequence serves them both, and each turn reuses what the cache kept. The same requests once the
 * cache bundle is stopped (the engine's own placement takes over for the next context) give the
 * same greedy answers: the cache changes what is computed, never what comes out.
 */
class PrefixCacheAcceptanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SHARED = Path.of(System.getProperty("mica.it.shared", "../../shared")).resolve("models");
    private static final String SYSTEM = ("You are a careful storyteller. Every story has a beginning, a middle and an end; "
            + "it names its hero in the first sentence and never uses more than three characters. ").repeat(2);
    @TempDir Path work;

    /** An attention model (random weights): any prefix is reused by sharing cells. */
    @Test
    void anAttentionModelReusesTheSharedSystemPromptAndEachHistory() throws Exception {
        Path model = work.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        Turns cached = conversations(model, true);
        assertTrue(cached.reused(1) >= cached.prompt(0) / 2, "b reuses the system prompt a computed: " + cached);
        assertTrue(cached.reused(2) >= cached.prompt(0), "a's second turn reuses its whole first prompt, though b ran in between: " + cached);
        Turns plain = conversations(model, false);
        assertTrue(plain.reused(2) < cached.reused(2), "without the cache b's turn cut a's history: " + plain);
        assertEquals(plain.answers(), cached.answers());
    }

    /**
     * The same with a KV stream per sequence ({@code mica.kv_unified=false}): a prefix moves by a
     * whole-stream copy cut to length, and the one parking stream the budget pays for.
     */
    @Test
    void anAttentionModelReusesPrefixesWithAKvStreamPerSequence() throws Exception {
        Path model = work.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        Turns split = conversations(model, true, Map.of("mica.kv_unified", "false"));
        assertTrue(split.reused(1) >= split.prompt(0) / 2, "b reuses the system prompt a computed: " + split);
        assertTrue(split.reused(2) >= split.prompt(0), "a's second turn reuses its whole first prompt: " + split);
        assertEquals(conversations(model, false).answers(), split.answers());
    }

    /** The trained stories260K (when the shared models are here): a real story, the same with and without the cache. */
    @Test
    void aTrainedModelTellsTheSameStories() throws Exception {
        Path stories = SHARED.resolve("stories260K.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(stories), "skipped: " + stories + " is absent (the shared test models are optional)");
        Turns cached = conversations(stories, true);
        assertTrue(cached.reused(2) >= cached.prompt(0), cached.toString());
        assertEquals(conversations(stories, false).answers(), cached.answers());
    }

    /** A hybrid model (gated-delta recurrent layers): no tail can be dropped, so the second conversation resumes from a checkpoint. */
    @Test
    void aHybridModelResumesFromCheckpoints() throws Exception {
        Path hybrid = SHARED.resolve("tiny-qwen35.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(hybrid), "skipped: " + hybrid + " is absent (the shared test models are optional)");
        Turns cached = conversations(hybrid, true);
        assertTrue(cached.reused(1) > 0, "b resumes from a checkpoint: " + cached);
        // the template renders a's answer anew, so a resumes from the checkpoint just before its first prompt's end
        assertTrue(cached.reused(2) >= cached.prompt(0) - 8, "a goes on from its own checkpoint: " + cached);
        assertEquals(conversations(hybrid, false).answers(), cached.answers());
    }

    /** What three chat turns reported: prompt tokens, cached tokens, answers. */
    record Turns(List<Integer> prompts, List<Integer> cachedTokens, List<String> answers) {
        int prompt(int i) {
            return prompts.get(i);
        }

        int reused(int i) {
            return cachedTokens.get(i);
        }
    }

    /** a's first turn, b's first turn, a's second turn; one decoding sequence, so b has to take a's. */
    private Turns conversations(Path model, boolean cache) throws Exception {
        return conversations(model, cache, Map.of());
    }

    private Turns conversations(Path model, boolean cache, Map<String, String> settings) throws Exception {
        Path dir = Files.createTempDirectory(work, cache ? "cached" : "plain");
        Map<String, String> properties = new java.util.HashMap<>(settings);
        properties.putAll(Map.of("mica.backends", "ggml", "mica.num_thread", "1", "mica.num_parallel", "1"));
        try (MicaRuntime kernel = Kernels.boot(dir, properties)) {
            URI url = Kernels.httpUrl(kernel);
            HttpClient http = HttpClient.newHttpClient();
            post(http, url, "/api/create", Map.of("model", "m", "from", model.toAbsolutePath().toString(), "stream", false));
            if (!cache) {
                for (Bundle b : kernel.context().getBundles()) {
                    if (b.getSymbolicName().equals("mica-bundle-cache")) b.stop();
                }
            }
            List<Integer> prompts = new ArrayList<>();
            List<Integer> cached = new ArrayList<>();
            List<String> answers = new ArrayList<>();
            List<Map<String, String>> a = new ArrayList<>(List.of(Map.of("role", "system", "content", SYSTEM),
                    Map.of("role", "user", "content", "Tell me about a fox.")));
            List<Map<String, String>> b = List.of(Map.of("role", "system", "content", SYSTEM), Map.of("role", "user", "content", "Tell me about a bear."));
            for (List<Map<String, String>> messages : List.of(a, b, a)) {
                JsonNode r = post(http, url, "/v1/chat/completions", Map.of("model", "m", "messages", messages, "temperature", 0, "max_tokens", 12));
                String answer = r.path("choices").get(0).path("message").path("content").asText();
                prompts.add(r.path("usage").path("prompt_tokens").asInt());
                cached.add(r.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt());
                answers.add(answer);
                if (answers.size() == 1) {
                    a.add(Map.of("role", "assistant", "content", answer));
                    a.add(Map.of("role", "user", "content", "And then?"));
                }
            }
            if (cache) {
                JsonNode report = JSON.readTree(http.send(HttpRequest.newBuilder(url.resolve("/api/mica/cache")).build(), HttpResponse.BodyHandlers.ofString()).body());
                JsonNode arm = report.path("arms").get(0);
                assertEquals(3, arm.path("requests").asInt(), report.toString());
                assertEquals(cached.stream().mapToInt(Integer::intValue).sum(), arm.path("reused_tokens").asInt(), report.toString());
            }
            return new Turns(prompts, cached, answers);
        }
    }

    private static JsonNode post(HttpClient http, URI url, String path, Object body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
