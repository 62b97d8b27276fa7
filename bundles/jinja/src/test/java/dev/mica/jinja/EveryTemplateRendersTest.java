package dev.mica.jinja;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every real template parses and renders a plain conversation (with or without a system prompt). */
class EveryTemplateRendersTest {

    /** Templates that cannot render a plain conversation at all, with the reason. Python Jinja2 fails on them too. */
    static final Map<String, String> NEEDS_EXTRA_CONTEXT = Map.of(
            "fireworks-ai-llama-3-firefunction-v2", "requires the 'functions' and 'datetime' variables "
                    + "(covered by the firefunction scenario)");

    static List<String> templates() throws IOException {
        return GoldenTemplatesTest.templateNames();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void rendersABasicConversation(String name) throws IOException {
        Template t = GoldenTemplatesTest.load(name);
        if (NEEDS_EXTRA_CONTEXT.containsKey(name)) {
            return;
        }
        String out = null;
        for (String scenario : List.of("basic", "no_system")) {
            try {
                out = t.render(GoldenTemplatesTest.scenario(scenario));
                break;
            } catch (TemplateException e) {
                assertTrue(e.kind() == TemplateException.Kind.RAISED, name + ": " + e.getMessage());
            }
        }
        assertFalse(out == null || out.isEmpty(), name + " rendered nothing");
        assertTrue(out.contains("Hello") || out.contains("Hi there"), name + " lost the conversation: " + out);
    }

    @Test
    void collectionIsComplete() throws IOException {
        assertTrue(templates().size() >= 70, "templates/ should hold llama.cpp's full collection");
    }
}
