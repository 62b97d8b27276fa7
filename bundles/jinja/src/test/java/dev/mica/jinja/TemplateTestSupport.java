package dev.mica.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;

/** Shorthands for one-line template tests. */
final class TemplateTestSupport {

    private TemplateTestSupport() {
    }

    static String render(String template, Object... keyValues) {
        return Template.parse(template).render(context(keyValues));
    }

    /** A map that keeps the given key order, as a JSON request would. */
    static Map<String, Object> ordered(Object... keyValues) {
        return context(keyValues);
    }

    static Map<String, Object> context(Object... keyValues) {
        var ctx = new LinkedHashMap<String, Object>();
        for (int i = 0; i < keyValues.length; i += 2) {
            ctx.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ctx;
    }

    /** Asserts the rendering; every context-free check is also verified against Python Jinja2 (see crosscheck.py). */
    static void check(String expected, String template, Object... keyValues) {
        assertEquals(expected, render(template, keyValues), () -> "template: " + template);
    }

    static TemplateException fails(String template, Object... keyValues) {
        return assertThrows(TemplateException.class, () -> render(template, keyValues), () -> "template: " + template);
    }
}
