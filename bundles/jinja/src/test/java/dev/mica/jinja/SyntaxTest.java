package dev.mica.jinja;

import static dev.mica.jinja.TemplateTestSupport.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lexing, whitespace control and syntax errors. */
class SyntaxTest {

    @Test
    void textAndExpressions() {
        check("Hello, world!", "Hello, {{ 'world' }}!");
        check("", "");
        check("a{b}c", "a{b}c");
        check("{ {", "{ {");
    }

    @Test
    void trimBlocksEatsTheNewlineAfterABlockTag() {
        check("hello\n", "{% if true %}\nhello\n{% endif %}\n\n");
        check("1\n2\n3\n", "{% for i in [1, 2, 3] %}\n{{ i }}\n{% endfor %}\n\n");
        check("x\n", "{{ 'x' }}\n\n");
    }

    @Test
    void lstripBlocksEatsIndentationBeforeABlockTag() {
        check("    hello\n", "    {% if true %}\n    hello\n    {% endif %}\n");
        check("  x", "  {{ 'x' }}");
        check("a  b", "a  {% if true %}b{% endif %}");
        check("\tyes\n", "\t{% if true %}\n\tyes\n\t{# note #}\n\t{% endif %}\n");
    }

    @Test
    void explicitWhitespaceControl() {
        check("hello", "  {%- if true -%}  \nhello\n  {%- endif -%}  \n");
        check("hello", "  {{- 'hello' -}}  \n");
        check("ab", "a  {#- comment -#}  b");
        check("  a\n", "{%+ if true %}  a\n{% endif %}");
        check("  x\ny", "  {%+ if true %}x\n{% endif %}y");
        check("\nx\ny", "{% if true +%}\nx\n{% endif %}y");
        check("1 - 2", "{{ 1 }} - {{ 2 }}");
        check("-1", "{{ 5 - 6 }}");
        check("4", "{{ 5 -1 -}}");
    }

    @Test
    void commentsAndRaw() {
        check("ab", "a{# {{ not rendered }} #}b");
        check("{{ x }}{% if %}", "{% raw %}{{ x }}{% if %}{% endraw %}");
        check("a{{ y }}b", "a{%- raw -%}  {{ y }}  {%- endraw -%}b");
    }

    @Test
    void trailingNewlineAndLineEndings() {
        check("a\nb", "a\r\nb\r\n");
        var keep = Template.Options.DEFAULT.withKeepTrailingNewline(true);
        assertEquals("a\n", Template.parse("a\n", keep).render(Map.of()));
    }

    @Test
    void optionsCanDisableTrimAndLstrip() {
        var plain = Template.Options.DEFAULT.withTrimBlocks(false).withLstripBlocks(false);
        assertEquals("  \nx\n  \n", Template.parse("  {% if true %}\nx\n  {% endif %}\n\n", plain).render(Map.of()));
    }

    @Test
    void bracesInsideTagsDoNotCloseThem() {
        check("{'a': {'b': 1}}", "{{ {'a': {'b': 1}} }}");
        check("1", "{% set d = {'k': {'x': 1}} %}{{ d.k.x }}");
    }

    @Test
    void syntaxErrorsCarryLineAndColumn() {
        var e = assertThrows(TemplateException.class, () -> Template.parse("line one\n{% if x %}\n  {{ 1 + }}\n"));
        assertEquals(TemplateException.Kind.SYNTAX, e.kind());
        assertEquals(3, e.line());
        assertEquals(10, e.column());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void unclosedBlocksAndTagsAreSyntaxErrors() {
        for (String bad : new String[] {"{% if true %}x", "{{ 1", "{% for x in y %}", "{# open", "{{ (1 }}",
                "{% endif %}", "{% include 'x' %}", "{{ 'unterminated }}", "{% set %}", "{{ 1 2 }}", "{{ a.%}}"}) {
            var e = assertThrows(TemplateException.class, () -> Template.parse(bad), bad);
            assertEquals(TemplateException.Kind.SYNTAX, e.kind(), bad);
            assertTrue(e.line() >= 1, bad);
        }
    }
}
