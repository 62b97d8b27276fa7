package dev.mica.jinja;

import static dev.mica.jinja.TemplateTestSupport.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** How Java data enters templates, and how errors come out. */
class ContextTest {

    @Test
    void javaValuesBecomePythonValues() {
        check("1 2 3 1.5 0.25 True None x", "{{ i }} {{ l }} {{ s }} {{ d }} {{ f }} {{ b }} {{ n }} {{ c }}",
                "i", 1, "l", 2L, "s", (short) 3, "d", 1.5, "f", 0.25f, "b", true, "n", null, "c", 'x');
        check("2.5 [1, 2] ['a']", "{{ bd }} {{ arr }} {{ set }}", "bd", new BigDecimal("2.5"),
                "arr", new Object[] {1, 2}, "set", Set.of("a"));
        check("3", "{{ i // 1 }}", "i", 3);
        check("True", "{{ i is integer }}", "i", 7);
    }

    @Test
    void templatesCannotMutateCallerData() {
        var list = new ArrayList<Object>(List.of(1));
        var map = new HashMap<String, Object>(Map.of("k", "v"));
        check("[1, 2] {'k': 'v', 'x': 1}", "{% set _ = l.append(2) %}{% set _ = m.update(x=1) %}{{ l }} {{ m }}",
                "l", list, "m", map);
        assertEquals(List.of(1), list);
        assertEquals(Map.of("k", "v"), map);
        check("[1, 2]", "{% set _ = l.append(2) %}{{ l }}", "l", List.of(1));
    }

    @Test
    void unsupportedJavaTypesAreRejected() {
        var e = assertThrows(TemplateException.class,
                () -> Template.parse("{{ x }}").render(Map.of("x", new Object())));
        assertTrue(e.getMessage().contains("unsupported context value"), e.getMessage());
    }

    @Test
    void runtimeErrorsReportTheLine() {
        var e = assertThrows(TemplateException.class,
                () -> Template.parse("a\n{% if true %}\n  {{ 1 + 'x' }}\n{% endif %}").render(Map.of()));
        assertEquals(TemplateException.Kind.RUNTIME, e.kind());
        assertEquals(3, e.line());
        var raised = assertThrows(TemplateException.class, () -> Template.parse(
                "{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('System role not supported') }}"
                        + "\n{% endif %}{% endfor %}").render(Map.of("messages", List.of(Map.of("role", "system")))));
        assertEquals("System role not supported", raised.detail());
        assertEquals(3, raised.line());
        assertTrue(raised.getMessage().startsWith("System role not supported"), raised.getMessage());
    }

    @Test
    void aParsedTemplateRendersConcurrently() throws Exception {
        var t = Template.parse("{% for m in messages %}{{ m.content|upper }}{% endfor %}");
        try (var pool = Executors.newFixedThreadPool(4)) {
            var futures = new ArrayList<Future<String>>();
            for (int i = 0; i < 64; i++) {
                String text = "msg" + i;
                futures.add(pool.submit(() -> t.render(Map.of("messages", List.of(Map.of("content", text))))));
            }
            for (int i = 0; i < 64; i++) {
                assertEquals("MSG" + i, futures.get(i).get());
            }
        }
    }
}
