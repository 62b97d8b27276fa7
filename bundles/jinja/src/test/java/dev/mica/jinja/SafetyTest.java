package dev.mica.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hostile templates stop quickly with a LIMIT error instead of hanging, exhausting memory or the stack. */
class SafetyTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{% for i in range(10**12) %}{% endfor %}",
        "{{ range(10**12)|length }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 10**12 }}",
        "{{ [1] * 10**12 }}",
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "{% set l = [1] %}{% for i in range(64) %}{% set _ = l.extend(l) %}{% endfor %}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% macro f() %}{{ f() ~ f() }}{% endmacro %}{{ f() }}",
        "{% for i in range(10000000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
        "{{ 'ab'|replace('', 'x' * 1000000)|replace('x', 'yyyyyyyyyy')|replace('y', 'zzzzzzzzzz') }}",
        "{{ ('x' * 1000000)|center(10**12) }}",
        "{{ 'x'.ljust(10**12) }}",
    })
    void runawayTemplatesHitALimitFast(String template) {
        var e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(TemplateException.class, () -> Template.parse(template).render(Map.of())));
        assertEquals(TemplateException.Kind.LIMIT, e.kind(), e.getMessage());
    }

    @Test
    void deeplyNestedSourceIsASyntaxErrorNotAStackOverflow() {
        String deep = "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}";
        assertThrows(TemplateException.class, () -> Template.parse(deep));
        String deepNot = "{{ " + "not ".repeat(5000) + "1 }}";
        assertThrows(TemplateException.class, () -> Template.parse(deepNot));
        String deepIf = "{% if true %}".repeat(5000) + "{% endif %}".repeat(5000);
        assertThrows(TemplateException.class, () -> Template.parse(deepIf));
    }

    @Test
    void cyclicDataCannotBePrinted() {
        var e = assertThrows(TemplateException.class,
                () -> Template.parse("{% set l = [] %}{% set _ = l.append(l) %}{{ l }}").render(Map.of()));
        assertEquals(TemplateException.Kind.LIMIT, e.kind());
        assertThrows(TemplateException.class,
                () -> Template.parse("{% set l = [] %}{% set _ = l.append(l) %}{{ l|tojson }}").render(Map.of()));
    }

    @Test
    void limitsAreConfigurable() {
        var tight = Template.Options.DEFAULT.withMaxSteps(1000).withMaxOutputChars(100).withMaxCallDepth(3);
        assertEquals(TemplateException.Kind.LIMIT, assertThrows(TemplateException.class,
                () -> Template.parse("{% for i in range(2000) %}{% endfor %}", tight).render(Map.of())).kind());
        assertEquals(TemplateException.Kind.LIMIT, assertThrows(TemplateException.class,
                () -> Template.parse("{{ 'x' * 101 }}", tight).render(Map.of())).kind());
        assertEquals(TemplateException.Kind.LIMIT, assertThrows(TemplateException.class,
                () -> Template.parse("{% macro f(n) %}{{ f(n - 1) if n else '' }}{% endmacro %}{{ f(5) }}", tight)
                        .render(Map.of())).kind());
        assertEquals("", Template.parse("{% macro f(n) %}{{ f(n - 1) if n else '' }}{% endmacro %}{{ f(2) }}", tight)
                .render(Map.of()));
    }

    @Test
    void deeplyNestedContextIsRejected() {
        Object deep = "leaf";
        for (int i = 0; i < 1000; i++) {
            deep = java.util.List.of(deep);
        }
        Object data = deep;
        assertThrows(TemplateException.class, () -> Template.parse("{{ x }}").render(Map.of("x", data)));
    }
}
