package dev.mica.jinja;

import static dev.mica.jinja.TemplateTestSupport.check;
import static dev.mica.jinja.TemplateTestSupport.fails;
import static dev.mica.jinja.TemplateTestSupport.ordered;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Builtin filters ({@code x|f}) and tests ({@code x is t}). */
class FiltersAndTestsTest {

    /** Insertion-ordered like a parsed JSON request, since tojson keeps key order. */
    static final Map<String, Object> TOOL = ordered("type", "function", "function", ordered(
            "name", "get_weather", "description", "Wetter für \"Paris\"",
            "parameters", ordered("type", "object", "required", List.of("city"))));

    @Test
    void tojsonMatchesPythonJsonDumps() {
        check("{\"a\": 1, \"b\": [true, null, 2.5], \"c\": \"é\\\"\\n\"}",
                "{{ {'a': 1, 'b': [true, none, 2.5], 'c': 'é\"\\n'}|tojson }}");
        check("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}", "{{ {'a': [1, 2], 'b': {}}|tojson(indent=2) }}");
        check("{\"a\":1,\"b\":[]}", "{{ {'a': 1, 'b': []}|tojson(separators=(',', ':')) }}");
        check("{\"a\": 2, \"b\": 1}", "{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}");
        check("\"\\u00e9\\u2615\"", "{{ 'é☕'|tojson(ensure_ascii=true) }}");
        check("\"a\\u0001\\t\"", "{{ 'a\\x01\\t'|tojson }}");
        check("[1, 2]", "{{ (1, 2)|tojson }}");
        check("{\"1\": true, \"null\": false}", "{{ {1: true, none: false}|tojson }}");
        check("{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": "
                        + "\"Wetter für \\\"Paris\\\"\", \"parameters\": {\"type\": \"object\", \"required\": [\"city\"]}}}",
                "{{ tool|tojson }}", "tool", TOOL);
        fails("{{ undefined_value|tojson }}");
    }

    @Test
    void stringFilters() {
        check("hi|HI|hi|Hello World-Foo|Hello", "{{ ' hi '|trim }}|{{ 'hi'|upper }}|{{ 'HI'|lower }}|"
                + "{{ 'hello world-foo'|title }}|{{ 'hELLO'|capitalize }}");
        check(" y |a-b|3", "{{ 'xxyxx'|trim('x')|center(3) }}|{{ 'a b'|replace(' ', '-') }}|{{ 'a b  c'|wordcount }}");
        check("  ab  |a\n  b|  a\n\n  b", "{{ 'ab'|center(6) }}|{{ 'a\\nb'|indent(2) }}|{{ 'a\\n\\nb'|indent(2, true) }}");
        check("a\n    b\n", "{{ 'a\\nb\\n'|indent }}");
        check("&lt;b&gt; &amp; &#34;q&#34; &#39;s&#39;", "{{ '<b> & \"q\" \\'s\\''|e }}");
        check("x - 1 - 2.5", "{{ '%s - %d - %.1f'|format('x', 1, 2.5) }}");
        check("cba", "{{ 'abc'|reverse }}");
        check("1|[1, 2]|None", "{{ 1|string }}|{{ [1, 2]|string }}|{{ none|string }}");
        check("-a-b-c-|a-bc", "{{ 'abc'|replace('', '-') }}|{{ 'abc'|replace('', '-', 2)|replace('-', '', 1) }}");
    }

    @Test
    void defaultFilter() {
        check("d|d||d|x", "{{ nope|default('d') }}|{{ nope|d('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}"
                + "|{{ 'x'|default('d') }}");
        check("None|False", "{{ none|default('d') }}|{{ false|default('d') }}");
    }

    @Test
    void numberFilters() {
        check("3|0|3|3.0|2.0|2.0|2.67|5|3|3.5", "{{ '3'|int }}|{{ 'x'|int }}|{{ '3.7'|int }}|{{ 3|float }}|"
                + "{{ 1.5|round }}|{{ 2.5|round }}|{{ 2.675|round(2) }}|{{ 5|round }}|{{ -3|abs }}|{{ -3.5|abs }}");
        check("3.0|2.0", "{{ 2.1|round(method='ceil') }}|{{ 2.9|round(method='floor') }}");
        check("6 10 3 1", "{{ [1, 2, 3]|sum }} {{ [{'n': 4}, {'n': 6}]|sum(attribute='n') }} {{ [3, 1, 2]|max }} "
                + "{{ [3, 1, 2]|min }}");
    }

    @Test
    void sequenceFilters() {
        check("3|3|1|3|a|c", "{{ [1, 2, 3]|length }}|{{ 'abc'|count }}|{{ [1, 2, 3]|first }}|{{ [1, 2, 3]|last }}|"
                + "{{ 'abc'|first }}|{{ 'abc'|last }}");
        check("1, 2|12|['a', 'b']|[3, 2, 1]", "{{ [1, 2]|join(', ') }}|{{ [1, 2]|join }}|{{ 'ab'|list }}|"
                + "{{ [1, 2, 3]|reverse|list }}");
        check("['A', 'a', 'b']|['b', 'A', 'a']|['b', 'A']|['A', 'a', 'b']", "{{ ['b', 'A', 'a']|sort }}|"
                + "{{ ['b', 'A', 'a']|sort(reverse=true) }}|{{ ['b', 'A', 'a']|unique|list }}|"
                + "{{ ['b', 'a', 'A']|sort(case_sensitive=true)|reverse|list|reverse|list }}");
        check("[[1, 2], [3, 4], [5]]|[[1, 2], [3, 0]]", "{{ [1, 2, 3, 4, 5]|batch(2)|list }}|{{ [1, 2, 3]|batch(2, 0)|list }}");
        check("[('a', 2), ('b', 1)]|[('b', 1), ('a', 2)]|[('a', 2)]", "{{ {'b': 1, 'a': 2}|dictsort }}|"
                + "{{ {'b': 1, 'a': 2}|dictsort(by='value') }}|{{ {'a': 2}|items|list }}");
        check("x,y|2", "{{ [{'n': 'x'}, {'n': 'y'}]|map(attribute='n')|join(',') }}|{{ ['1', '2']|map('int')|max }}");
        check("[1, 3]|[2]|[1, 2]", "{{ [1, 2, 3]|select('odd')|list }}|{{ [1, 2, 3]|reject('odd')|list }}|"
                + "{{ [0, 1, 2, none]|select|list }}");
        check("b|a,c", "{{ msgs|selectattr('role', 'equalto', 'assistant')|map(attribute='content')|join }}|"
                        + "{{ msgs|rejectattr('role', 'eq', 'assistant')|map(attribute='content')|join(',') }}",
                "msgs", List.of(Map.of("role", "user", "content", "a"), Map.of("role", "assistant", "content", "b"),
                        Map.of("role", "user", "content", "c")));
        check("1", "{{ tools|selectattr('function')|list|length }}", "tools", List.of(TOOL, Map.of("type", "x")));
        check("[]|[]", "{{ none|selectattr('type', 'equalto', 'x')|list }}|{{ none|map('upper')|list }}");
        check("[(1, [{'g': 1}]), (2, [{'g': 2}])]", "{{ [{'g': 2}, {'g': 1}]|groupby('g') }}");
    }

    @Test
    void unknownFilterFailsAtRunTime() {
        fails("{{ 1|no_such_filter }}");
    }

    @Test
    void tests() {
        check("True False True False", "{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ x is undefined }}",
                "x", 1);
        check("True True False True", "{{ none is none }} {{ 1 is not none }} {{ 'a' is number }} {{ true is number }}");
        check("True False True True", "{{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ 'a' is string }}");
        check("True True True False", "{{ {} is mapping }} {{ [] is iterable }} {{ 'a' is sequence }} {{ 1 is iterable }}");
        check("True True False True", "{{ true is boolean }} {{ true is true }} {{ 0 is false }} {{ false is false }}");
        check("True True True False", "{{ 2 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }}");
        check("True True True True", "{{ 1 is eq 1 }} {{ 1 is ne 2 }} {{ 'ab' is lower }} {{ 'AB' is upper }}");
        check("True True True", "{{ 1 is lt 2 }} {{ 2 is ge 2 }} {{ 1 is in [1] }}");
        check("True True False", "{{ range is callable }} {{ 'x'.upper is callable }} {{ 'x' is callable }}");
        check("True", "{{ none is sameas none }}");
    }
}
