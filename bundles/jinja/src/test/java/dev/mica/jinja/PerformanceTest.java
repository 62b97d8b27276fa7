package dev.mica.jinja;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Long conversations render in linear time, well inside the default step budget. */
class PerformanceTest {

    @Test
    void thousandMessageConversationWithToolsRendersQuickly() throws Exception {
        var messages = new ArrayList<Object>();
        messages.add(Map.of("role", "system", "content", "You are helpful."));
        for (int i = 0; i < 500; i++) {
            messages.add(Map.of("role", "user", "content", "Question " + i + " ".repeat(200)));
            messages.add(Map.of("role", "assistant", "content", "<think>\nreasoning " + i + "\n</think>\n\nAnswer " + i));
        }
        var context = new LinkedHashMap<String, Object>(GoldenTemplatesTest.scenario("tools"));
        context.put("messages", messages);
        for (String name : List.of("Qwen-Qwen3-0.6B", "meta-llama-Llama-3.1-8B-Instruct", "openai-gpt-oss-120b",
                "Qwen3.5-4B")) {
            Template t = GoldenTemplatesTest.load(name);
            t.render(context);
            String out = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> t.render(context));
            assertTrue(out.contains("Answer 499"), name);
        }
    }
}
