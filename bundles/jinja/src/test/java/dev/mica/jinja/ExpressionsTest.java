package dev.mica.jinja;

import static dev.mica.jinja.TemplateTestSupport.check;
import static dev.mica.jinja.TemplateTestSupport.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Literals, operators, access and Python-style printing. */
class ExpressionsTest {

    @Test
    void literalsPrintLikePython() {
        check("True False None", "{{ true }} {{ False }} {{ none }}");
        check("True|None", "{{ True }}|{{ None }}");
        check("42 -7 1.5 1.0 0.1 100.0", "{{ 42 }} {{ -7 }} {{ 1.5 }} {{ 1.0 }} {{ 0.1 }} {{ 1e2 }}");
        check("1e+16 1e-05 0.0001 1234567.125", "{{ 1e16 }} {{ 0.00001 }} {{ 0.0001 }} {{ 1234567.125 }}");
        check("1000000", "{{ 1_000_000 }}");
        check("['a', 1, None, True, 2.5]", "{{ ['a', 1, none, true, 2.5] }}");
        check("{'a': 1, 'b': [1, 2]}", "{{ {'a': 1, 'b': [1, 2]} }}");
        check("(1,) () (1, 'x')", "{{ (1,) }} {{ () }} {{ (1, 'x') }}");
        check("[\"it's\", 'say \"hi\"', 'a\\nb']", "{{ [\"it's\", 'say \"hi\"', 'a\\nb'] }}");
    }

    @Test
    void stringEscapes() {
        check("a\nb\tc\\d'e\"f", "{{ 'a\\nb\\tc\\\\d\\'e\"f' }}");
        check("é☕", "{{ '\\u00e9\\u2615' }}");
        check("\\d", "{{ '\\d' }}");
        check("ab", "{{ 'a' 'b' }}");
    }

    @Test
    void arithmeticFollowsPython() {
        check("7 3.5 3 -4 1 2", "{{ 3 + 4 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }}");
        check("1024 0.5 2.0", "{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 4 ** 0.5 }}");
        check("64", "{{ 2 ** 3 ** 2 }}");
        check("14 20", "{{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }}");
        check("3.0 2 -2.5", "{{ 7.5 // 2 }} {{ true + 1 }} {{ -(2.5) }}");
        check("0.5", "{{ -7.5 % 2 }}");
        check("abab [1, 2, 1, 2] xxx", "{{ 'ab' * 2 }} {{ [1, 2] * 2 }} {{ 3 * 'x' }}");
        check("ab [1, 2]", "{{ 'a' + 'b' }} {{ [1] + [2] }}");
        check("x1None", "{{ 'x' ~ 1 ~ none }}");
        check("x", "{{ 'x' ~ undefined_thing }}");
    }

    @Test
    void arithmeticTypeErrors() {
        assertEquals("unsupported operand type(s) for +: 'str' and 'int'", fails("{{ 'a' + 1 }}").detail());
        assertEquals("division by zero", fails("{{ 1 / 0 }}").detail());
        assertEquals("'missing' is undefined", fails("{{ missing + 1 }}").detail());
        fails("{{ 'a' + none }}");
        fails("{{ 1 < 'a' }}");
    }

    @Test
    void comparisonsAndLogic() {
        check("True True False", "{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 1 > 2 }}");
        check("True False True", "{{ 'b' > 'a' }} {{ [1, 2] < [1] }} {{ true == 1 }}");
        check("True True False True", "{{ 'ell' in 'hello' }} {{ 2 in [1, 2] }} {{ 'k' in {'a': 1} }} {{ 3 not in [1] }}");
        check("b 0 a []", "{{ 'a' and 'b' }} {{ 0 and 'b' }} {{ 'a' or 'b' }} {{ none or [] }}");
        check("True False", "{{ not none }} {{ not 'x' }}");
        check("yes no", "{{ 'yes' if 1 else 'no' }} {{ 'yes' if [] else 'no' }}");
        check("[]", "[{{ 'x' if false }}]");
        check("True", "{{ {'a': [1, {'b': 2}]} == {'a': [1, {'b': 2}]} }}");
    }

    @Test
    void attributeAndItemAccess() {
        var ctx = Map.of("m", Map.of("role", "user", "list", List.of(1, 2, 3)));
        check("user user 3 1 2", "{{ m.role }} {{ m['role'] }} {{ m.list[-1] }} {{ m.list.0 }} {{ m['list'][1] }}",
                "m", ctx.get("m"));
        check("[][][]", "[{{ m.nope }}][{{ m['nope'] }}][{{ m.list[10] }}]", "m", ctx.get("m"));
        check("[]", "[{{ none.attr }}]");
        check("e", "{{ 'hello'[1] }}");
        assertEquals("'x' is undefined", fails("{{ x.y }}").detail());
    }

    @Test
    void slicing() {
        check("[2, 3] [1, 2] [3] [3, 2, 1] [1, 3]",
                "{% set l = [1, 2, 3] %}{{ l[1:] }} {{ l[:2] }} {{ l[-1:] }} {{ l[::-1] }} {{ l[::2] }}");
        check("olleh ell lo", "{{ 'hello'[::-1] }} {{ 'hello'[1:4] }} {{ 'hello'[-2:] }}");
        check("[] [3, 2]", "{% set l = [1, 2, 3] %}{{ l[5:] }} {{ l[:0:-1] }}");
        check("😀b", "{{ 'a😀b'[1:] }}");
    }

    @Test
    void unicodeIsIndexedByCodePoint() {
        check("3 😀", "{{ 'a😀b'|length }} {{ 'a😀b'[1] }}");
    }

    @Test
    void callsWithStarArguments() {
        check("1-2-3", "{% macro m(a, b, c) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(*[1, 2], **{'c': 3}) }}");
    }
}
