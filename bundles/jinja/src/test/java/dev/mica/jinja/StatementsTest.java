package dev.mica.jinja;

import static dev.mica.jinja.TemplateTestSupport.check;
import static dev.mica.jinja.TemplateTestSupport.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** if, for, set, macro, call, filter, with, do, generation, break/continue and scoping. */
class StatementsTest {

    @Test
    void ifElifElse() {
        String t = "{% if x > 2 %}big{% elif x > 1 %}mid{% else %}small{% endif %}";
        check("big", t, "x", 3);
        check("mid", t, "x", 2);
        check("small", t, "x", 1);
    }

    @Test
    void forLoopVariables() {
        check("1/0/3/2/True/False/3;2/1/2/1/False/False/3;3/2/1/0/False/True/3;",
                "{% for x in 'abc' %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/"
                        + "{{ loop.first }}/{{ loop.last }}/{{ loop.length }};{% endfor %}");
        check("-b|a-", "{% for x in ['a', 'b'] %}{{ loop.previtem }}-{{ loop.nextitem }}"
                + "{% if not loop.last %}|{% endif %}{% endfor %}");
        check("odd even odd ", "{% for i in range(3) %}{{ loop.cycle('odd', 'even') }} {% endfor %}");
    }

    @Test
    void forElseFilterAndUnpacking() {
        check("empty", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}");
        check("1/2:b 2/2:c ", "{% for x in ['a', 'b', 'c'] if x != 'a' %}{{ loop.index }}/{{ loop.length }}:{{ x }} "
                + "{% endfor %}");
        check("a=1 ", "{% for k, v in d.items() %}{{ k }}={{ v }} {% endfor %}", "d", Map.of("a", 1));
        check("a=1 b=2 ", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }} {% endfor %}");
        check("ab", "{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}");
        check("1:2,3:4,", "{% for (a, b) in [(1, 2), [3, 4]] %}{{ a }}:{{ b }},{% endfor %}");
        assertEquals("not enough values to unpack (expected 2, got 1)",
                fails("{% for a, b in [[1]] %}{% endfor %}").detail());
    }

    @Test
    void breakAndContinue() {
        check("13", "{% for i in range(10) %}{% if i == 4 %}{% break %}{% endif %}"
                + "{% if i % 2 == 0 %}{% continue %}{% endif %}{{ i }}{% endfor %}");
    }

    @Test
    void loopBodiesHaveTheirOwnScope() {
        check("[][]5", "{% set x = 5 %}{% for i in [1, 2] %}{% if i == 2 %}[{{ y }}]{% endif %}{% set y = i %}"
                + "{% endfor %}[]{{ x }}");
        check("5", "{% set x = 5 %}{% for i in [1] %}{% set x = 9 %}{% endfor %}{{ x }}");
        check("9", "{% set x = 5 %}{% if true %}{% set x = 9 %}{% endif %}{{ x }}");
    }

    @Test
    void namespaceCarriesStateOutOfLoops() {
        check("3 True", "{% set ns = namespace(n=0, seen=false) %}{% for i in range(3) %}{% set ns.n = ns.n + 1 %}"
                + "{% set ns.seen = true %}{% endfor %}{{ ns.n }} {{ ns.seen }}");
        check("[1, 2]", "{% set ns = namespace(items=[]) %}{% for i in [1, 2] %}{% set _ = ns.items.append(i) %}"
                + "{% endfor %}{{ ns.items }}");
        check("<Namespace {'a': 1}>", "{{ namespace({'a': 1}) }}");
        fails("{% set d = {} %}{% set d.x = 1 %}");
    }

    @Test
    void tupleAndBlockSet() {
        check("2 1", "{% set a, b = 1, 2 %}{{ b }} {{ a }}");
        check("[ hi ] HI", "{% set x %} hi {% endset %}[{{ x }}] {% set y | trim | upper %} hi {% endset %}{{ y }}");
    }

    @Test
    void macros() {
        check("Hi, Bob! Bye, Ann.", "{% macro greet(name, greeting='Hi', end='!') %}{{ greeting }}, {{ name }}{{ end }}"
                + "{% endmacro %}{{ greet('Bob') }} {{ greet('Ann', end='.', greeting='Bye') }}");
        check("1(2, 3){'k': 4}", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}");
        check("3 2 1 ", "{% macro down(n) %}{% if n > 0 %}{{ n }} {{ down(n - 1) }}{% endif %}{% endmacro %}"
                + "{{ down(3) }}");
        check("[]", "{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}");
        check("x=10", "{% set base = 10 %}{% macro m() %}x={{ base }}{% endmacro %}{{ m() }}");
        check("6", "{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(3) }}");
    }

    @Test
    void callBlocksPassACaller() {
        check("<b>inner</b>", "{% macro wrap() %}<b>{{ caller() }}</b>{% endmacro %}{% call wrap() %}inner{% endcall %}");
        check("[1][2]", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}"
                + "{% call(x) each([1, 2]) %}[{{ x }}]{% endcall %}");
    }

    @Test
    void filterWithDoAndGenerationBlocks() {
        check("HELLO", "{% filter upper %}hello{% endfilter %}");
        check("AB", "{% filter trim | upper %}  ab  {% endfilter %}");
        check("3 1", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %} {% set a = 1 %}{{ a }}");
        check("[1]", "{% set l = [] %}{% do l.append(1) %}{{ l }}");
        check("answer", "{% generation %}answer{% endgeneration %}");
    }

    @Test
    void realisticMessageLoop() {
        var messages = List.of(Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "Hi"));
        check("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                        + "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
                        + "{{ '<|im_start|>assistant\\n' }}{% endif %}",
                "messages", messages, "add_generation_prompt", true);
    }
}
