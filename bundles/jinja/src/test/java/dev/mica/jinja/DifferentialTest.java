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
 * Random expressions and statements (make_differential.py, fixed seed) mixing types, filters, methods, tests and
 * operators: where Python Jinja2 renders, mica must render the same text; where Python raises, mica must raise.
 */
class DifferentialTest {

    @SuppressWarnings("unchecked")
    static Stream<Arguments> cases() throws IOException {
        var data = MiniJson.object(Files.readString(GoldenTemplatesTest.resources().resolve("differential-cases.json")));
        var context = (Map<String, Object>) data.get("context");
        return ((java.util.List<Object>) data.get("cases")).stream().map(c -> (Map<String, Object>) c)
                .map(c -> Arguments.of(c.get("template"), c.get("expected"), c.get("error"), context));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void agreesWithPythonJinja(String template, String expected, String error, Map<String, Object> context) {
        if (error == null) {
            assertEquals(expected, Template.parse(template).render(context));
        } else {
            assertThrows(TemplateException.class, () -> Template.parse(template).render(context), error);
        }
    }
}
