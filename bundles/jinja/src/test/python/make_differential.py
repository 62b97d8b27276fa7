"""Generates random Jinja expressions and statements (fixed seed), renders them with Python Jinja2 in the HF-like
environment of make_goldens.py, and writes src/test/resources/differential-cases.json for DifferentialTest.
Run from bundles/jinja:  python3 src/test/python/make_differential.py"""
import json, random, sys
sys.argv = sys.argv[:1]
exec(open("src/test/python/make_goldens.py").read().replace("\nmain()\n", "\n"))

rnd = random.Random(20250314)
STRINGS = ["''", "'a'", "'Hello World'", "'  padded  '", "'a,b,,c'", "'x\\ny'", "'it''s'", "\"quo'te\"",
           "'café ☕'", "'😀 emoji'", "'MiXeD cAsE'", "'42'", "'3.5'", "'<tag> & \"q\"'", "'a-b c'"]
NUMBERS = ["0", "1", "-1", "7", "-7", "2", "3", "10", "0.5", "2.5", "-2.5", "1.0", "1e3", "100000000000000000.0",
           "0.1", "1e-7", "255", "3.14159"]
ATOMS = STRINGS + NUMBERS + ["none", "true", "false", "[]", "[1, 2, 3]", "['b', 'A', 'a']", "[3, 1, 2]",
                             "{'k': 1, 'a': 'x'}", "{}", "(1, 'two')", "[[1, 2], [3]]", "d", "l", "s", "n", "u",
                             "d.k", "d['a']", "l[-1]", "l[1:]", "s[::-1]", "[none, 0, '', 'x']", "{'b': 2, 'a': 1}"]
FILTERS = ["length", "upper", "lower", "trim", "title", "capitalize", "first", "last", "join", "join(', ')", "sort",
           "sort(reverse=true)", "reverse", "list", "string", "int", "float", "abs", "round", "round(1)",
           "tojson", "tojson(indent=2)", "tojson(sort_keys=true)", "default('D')", "default('D', true)", "sum", "min",
           "max", "replace('a', 'Z')", "center(9)", "indent(2)", "wordcount", "batch(2)|list", "dictsort", "items|list",
           "count", "map('upper')|list", "select|list", "reject|list", "select('odd')|list", "unique|list", "e",
           "safe", "float(1.5)", "int(9)"]
# Python's select/reject/map/unique/batch/items filters return lazy generators (printed as <generator ...>, only
# failing when iterated); mica returns lists, so the generated cases always consume them with |list.
METHODS = ["split()", "split(',')", "split(',', 1)", "rsplit(' ', 1)", "strip()", "strip('a')", "lstrip()", "rstrip()",
           "upper()", "lower()", "title()", "capitalize()", "startswith('a')", "endswith('d')", "replace('l', 'L')",
           "find('o')", "rfind('a')", "count('a')", "splitlines()", "isdigit()", "isalpha()", "isspace()",
           "get('k')", "get('zz', 0)", "keys()|list", "values()|list", "items()|list", "index(1)", "count(1)",
           "format(1, 'x')", "zfill(5)", "center(7, '*')", "ljust(4)", "partition(' ')", "removeprefix('H')"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
         "boolean", "true", "false", "even", "odd", "divisibleby 3", "eq 1", "ne 1", "lower", "upper", "callable",
         "in [1, 'a']", "sameas none"]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">=", "in", "not in", "and", "or"]
CONTEXT = {"d": {"k": 1, "a": "x"}, "l": [1, 2, 3], "s": "Hello", "n": None}


def expr(depth):
    r = rnd.random()
    if depth <= 0 or r < 0.25:
        return rnd.choice(ATOMS)
    if r < 0.45:
        return f"{expr(depth - 1)}|{rnd.choice(FILTERS)}"
    if r < 0.6:
        return f"({expr(depth - 1)}).{rnd.choice(METHODS)}"
    if r < 0.75:
        return f"({expr(depth - 1)} {rnd.choice(BINOPS)} {expr(depth - 1)})"
    if r < 0.85:
        return f"({expr(depth - 1)} is {'not ' if rnd.random() < 0.3 else ''}{rnd.choice(TESTS)})"
    if r < 0.92:
        return f"({expr(depth - 1)} if {expr(depth - 1)} else {expr(depth - 1)})"
    return f"(not {expr(depth - 1)})"


def statement():
    e = expr(2)
    return rnd.choice([
        f"{{{{ {e} }}}}",
        f"{{% for x in {e} %}}[{{{{ loop.index }}}}:{{{{ x }}}}]{{% else %}}empty{{% endfor %}}",
        f"{{% set v = {e} %}}{{{{ v }}}}|{{{{ v|tojson }}}}",
        f"{{% if {e} %}}yes{{% elif {expr(1)} %}}mid{{% else %}}no{{% endif %}}",
        f"{{% macro m(a, b='B') %}}<{{{{ a }}}}{{{{ b }}}}>{{% endmacro %}}{{{{ m({e}) }}}}",
    ])


def layout():
    """Text with spaces, tabs and newlines around tags carrying random -/+ markers: exercises whitespace control."""
    pad = lambda: rnd.choice(["", " ", "  ", "\t", "\n", " \n", "\n  ", "\n\n", "x", " y ", "\n z\n"])
    open_ = lambda: rnd.choice(["{%", "{%-", "{%+"])
    close = lambda: rnd.choice(["%}", "-%}", "+%}"])
    out = pad()
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.random()
        if kind < 0.3:
            out += f"{open_()} if {rnd.choice(['true', 'false'])} {close()}{pad()}A{pad()}{open_()} else {close()}" \
                   f"{pad()}B{pad()}{open_()} endif {close()}"
        elif kind < 0.5:
            out += f"{open_()} for i in range(2) {close()}{pad()}{{{{ i }}}}{pad()}{open_()} endfor {close()}"
        elif kind < 0.65:
            out += f"{rnd.choice(['{{', '{{-'])} 'v' {rnd.choice(['}}', '-}}'])}"
        elif kind < 0.8:
            out += f"{rnd.choice(['{#', '{#-'])} note {rnd.choice(['#}', '-#}'])}"
        elif kind < 0.9:
            out += f"{open_()} set z = 1 {close()}"
        else:
            out += f"{open_()} raw {close()}{pad()}{{{{ raw }}}}{pad()}{open_()} endraw {close()}"
        out += pad()
    return out


cases, seen = [], set()
while len(cases) < 2000:
    t = statement() if len(cases) < 1500 else layout()
    if t in seen:
        continue
    seen.add(t)
    out, err = render(t, CONTEXT)
    if err and "SecurityError" in err:
        continue
    cases.append({"template": t, "expected": out, "error": err})
json.dump({"context": CONTEXT, "cases": cases}, open("src/test/resources/differential-cases.json", "w",
                                                      encoding="utf-8"), ensure_ascii=False, indent=0)
print(len(cases), "cases,", sum(c["error"] is None for c in cases), "render,",
      sum(c["error"] is not None for c in cases), "fail")
