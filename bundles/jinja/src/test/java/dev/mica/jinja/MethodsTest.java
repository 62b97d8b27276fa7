package dev.mica.jinja;

import static dev.mica.jinja.TemplateTestSupport.check;
import static dev.mica.jinja.TemplateTestSupport.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Python methods on str, dict and list, and the globals. */
class MethodsTest {

    @Test
    void stringMethods() {
        check("True False True", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('x') }} "
                + "{{ 'hello'.startswith(('x', 'h')) }}");
        check("[a]|[a  ]|[  a]|[a]", "[{{ '  a  '.strip() }}]|[{{ '  a  '.lstrip() }}]|[{{ '  a  '.rstrip() }}]|"
                + "[{{ 'xxaxx'.strip('x') }}]");
        check("['a', 'b', 'c']|['a', 'b,c']|['a', '', 'b']|['a b', 'c']|['a', 'b  ']", "{{ ' a b  c '.split() }}|"
                + "{{ 'a,b,c'.split(',', 1) }}|{{ 'a,,b'.split(',') }}|{{ 'a b c'.rsplit(' ', 1) }}|"
                + "{{ ' a b  '.split(none, 1) }}");
        check("HI hi Hello World Hello", "{{ 'hi'.upper() }} {{ 'HI'.lower() }} {{ 'hello world'.title() }} "
                + "{{ 'hELLO'.capitalize() }}");
        check("b-b 1 -1 3 2", "{{ 'a-a'.replace('a', 'b') }} {{ 'abc'.find('b') }} {{ 'abc'.find('z') }} "
                + "{{ 'abcabc'.rfind('a') }} {{ 'a,b,a'.count('a') }}");
        check("1 + x = x1, 2", "{{ '{} + {} = {}{a}, {b:d}'.format(1, 'x', 'x', a=1, b=2) }}");
        check("3.14|  7|x   |007|{}", "{{ '{:.2f}'.format(3.14159) }}|{{ '{:3}'.format(7) }}|{{ '{:<4}'.format('x') }}|"
                + "{{ '{:03d}'.format(7) }}|{{ '{{}}'.format() }}");
        check("a, b|['a', 'b']|True False True", "{{ ', '.join(['a', 'b']) }}|{{ 'a\\nb\\n'.splitlines() }}|"
                + "{{ '42'.isdigit() }} {{ 'a1'.isalpha() }} {{ ' \\n'.isspace() }}");
        check("bc|ab|('a', '=', 'b')", "{{ 'abc'.removeprefix('a') }}|{{ 'abc'.removesuffix('c') }}|"
                + "{{ 'a=b'.partition('=') }}");
        assertEquals("substring not found", fails("{{ 'abc'.index('z') }}").detail());
    }

    @Test
    void dictMethods() {
        check("1 None d", "{{ d.get('a') }} {{ d.get('x') }} {{ d.get('x', 'd') }}", "d", Map.of("a", 1));
        // Python prints views as dict_keys([...]); mica returns plain lists, so compare them as lists.
        check("['a', 'b'] [1, 2] [('a', 1), ('b', 2)]",
                "{% set d = {'a': 1, 'b': 2} %}{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }}");
        check("{'a': 1, 'b': 3, 'c': 4}", "{% set d = {'a': 1} %}{% set _ = d.update({'b': 3}, c=4) %}{{ d }}");
        check("1 {}", "{% set d = {'a': 1} %}{{ d.pop('a') }} {{ d }}");
    }

    @Test
    void attributeLookupPrefersMethodsLikeJinja() {
        // Jinja resolves `d.items` to the dict method even when a key of that name exists; `d['items']` finds the key.
        check("True [1]", "{{ d.items is callable }} {{ d['items'] }}", "d", Map.of("items", java.util.List.of(1)));
    }

    @Test
    void listMethods() {
        check("[1, 2, 3] 3 [1, 2] 0 1", "{% set l = [1] %}{% set _ = l.append(2) %}{% set _ = l.extend([3]) %}"
                + "{{ l }} {{ l.pop() }} {{ l }} {{ l.index(1) }} {{ l.count(2) }}");
        check("[0, 1, 2] 0 [1, 2]", "{% set l = [1, 2] %}{% set _ = l.insert(0, 0) %}{{ l }} {{ l.pop(0) }} {{ l }}");
        check("[3, 2, 1]", "{% set l = [1, 2, 3] %}{% set _ = l.reverse() %}{{ l }}");
        assertEquals("pop from empty list", fails("{{ [].pop() }}").detail());
    }

    @Test
    void templatesCannotReachJavaMethods() {
        for (String t : new String[] {"{{ ''.getClass() }}", "{{ x.getClass() }}", "{{ [].iterator() }}",
                "{{ ''.__class__.__mro__ }}", "{{ x.toString() }}", "{{ range.getClass() }}", "{{ {}.entrySet() }}"}) {
            fails(t, "x", Map.of("a", 1));
        }
        check("[][]", "[{{ ''.__class__ }}][{{ {}.hashCode }}]");
    }

    @Test
    void globals() {
        check("[0, 1, 2] [1, 3] [3, 2, 1]", "{{ range(3)|list }} {{ range(1, 5, 2)|list }} {{ range(3, 0, -1)|list }}");
        check("{'a': 1, 'b': 2}", "{{ dict(a=1, b=2) }}");
        check("a, b, c", "{% set j = joiner(', ') %}{% for x in 'abc' %}{{ j() }}{{ x }}{% endfor %}");
        var e = fails("{{ raise_exception('Conversation roles must alternate user/assistant') }}");
        assertEquals(TemplateException.Kind.RAISED, e.kind());
        assertEquals("Conversation roles must alternate user/assistant", e.detail());
        assertEquals(1, e.line());
    }

    @Test
    void strftimeNowUsesTheConfiguredClock() {
        var clock = Clock.fixed(Instant.parse("2024-07-05T08:09:10Z"), ZoneOffset.UTC);
        var t = Template.parse("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %-d %I%p') }}",
                Template.Options.DEFAULT.withClock(clock));
        assertEquals("05 Jul 2024|2024-07-05 08:09:10 Friday July 5 08AM", t.render(Map.of()));
    }
}
