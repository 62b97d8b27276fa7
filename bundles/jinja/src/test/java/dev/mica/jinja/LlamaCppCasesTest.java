package dev.mica.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inline templates of llama.cpp's tests/test-chat-template.cpp (ChatML, Mistral v1/v3/v7, Gemma, Phi-3/4,
 * DeepSeek, Command-R, Granite, ...), extracted into llamacpp-cases.json by extract_llamacpp_cases.py, rendered on
 * llama.cpp's six-message conversation. {@code expected} is Python Jinja2's rendering; make_goldens.py checked that it
 * equals llama.cpp's own expected output in every case llama.cpp supports ({@code agrees_with_llamacpp}). Where the
 * template rejects the system message (role alternation), llama.cpp folds the system prompt into the first user turn,
 * and {@code merged_expected} covers that variant.
 */
class LlamaCppCasesTest {

    @SuppressWarnings("unchecked")
    static Stream<Arguments> cases() throws IOException {
        var json = Files.readString(GoldenTemplatesTest.resources().resolve("llamacpp-cases.json"));
        return MiniJson.array(json).stream().map(c -> (Map<String, Object>) c)
                .map(c -> Arguments.of(c.get("name"), c));
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikePythonJinja(String name, Map<String, Object> c) {
        Template t = Template.parse((String) c.get("template_str"));
        var context = (Map<String, Object>) c.get("context");
        if (c.get("expected") != null) {
            assertEquals(c.get("expected"), t.render(context));
        } else {
            String error = (String) c.get("expected_error");
            var e = assertThrows(TemplateException.class, () -> t.render(context));
            if (error.startsWith("RAISED: ")) {
                assertEquals(error.substring("RAISED: ".length()), e.detail());
            }
        }
        var merged = (Map<String, Object>) c.get("merged_context");
        if (merged != null && c.get("merged_expected") != null) {
            assertEquals(c.get("merged_expected"), t.render(merged));
        } else if (merged != null) {
            assertThrows(TemplateException.class, () -> t.render(merged));
        }
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesLlamaCppExpectation(String name, Map<String, Object> c) {
        if (!Boolean.TRUE.equals(c.get("supported_with_jinja"))) {
            return;
        }
        String theirs = (String) (c.get("expected_output_jinja") instanceof String s && !s.isEmpty() ? s
                : c.get("expected_output"));
        Template t = Template.parse((String) c.get("template_str"));
        String ours = theirs.equals(c.get("merged_expected"))
                ? t.render((Map<String, Object>) c.get("merged_context"))
                : t.render((Map<String, Object>) c.get("context"));
        assertEquals(theirs, ours);
    }
}
