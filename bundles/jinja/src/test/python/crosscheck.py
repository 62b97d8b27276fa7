"""Verifies the expectations of the Java unit tests against Python Jinja2: every context-free
check("expected", "template") call in src/test/java is rendered with make_goldens' HF-like environment.
Run from bundles/jinja:  python3 src/test/python/crosscheck.py"""
import glob, re, sys
sys.argv = sys.argv[:1]
exec(open("src/test/python/make_goldens.py").read().replace("\nmain()\n", "\n"))

ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "b": "\b", "f": "\f", "0": "\0"}


def java_strings(src, i):
    """Parses "a" + "b" ... starting at src[i]; returns (value, end index) or (None, i)."""
    parts = []
    while True:
        m = re.compile(r'\s*"').match(src, i)
        if not m:
            break
        j, buf = m.end(), []
        while src[j] != '"':
            if src[j] == "\\":
                if src[j + 1] == "u":
                    buf.append(chr(int(src[j + 2:j + 6], 16))); j += 6; continue
                buf.append(ESC[src[j + 1]]); j += 2
            else:
                buf.append(src[j]); j += 1
        parts.append("".join(buf))
        i = j + 1
        m = re.compile(r"\s*\+").match(src, i)
        if not m:
            break
        i = m.end()
    return ("".join(parts), i) if parts else (None, i)


bad = total = 0
for path in sorted(glob.glob("src/test/java/dev/mica/jinja/*.java")):
    src = open(path, encoding="utf-8").read()
    for m in re.finditer(r"\bcheck\(", src):
        expected, i = java_strings(src, m.end())
        if expected is None or not src[i:].lstrip().startswith(","):
            continue
        template, i = java_strings(src, src.index(",", i) + 1)
        if template is None or not src[i:].lstrip().startswith(")"):
            continue
        if "{% do " in template:
            continue  # the do statement is jinja2.ext.do, which transformers does not enable
        total += 1
        out, err = render(template, {})
        if out != expected:
            bad += 1
            print(f"{path.split('/')[-1]}: {template!r}\n   java expects {expected!r}\n   python gives {out!r} {err or ''}")
print(f"{total} context-free checks, {bad} differ from Python Jinja2")
