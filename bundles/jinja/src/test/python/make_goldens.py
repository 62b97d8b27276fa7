"""Renders every test template with the reference implementation, Python Jinja2, configured exactly like HF
transformers' apply_chat_template (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, the
{% generation %} extension, json.dumps-based tojson, raise_exception, strftime_now), and stores the outputs as the
golden files the Java tests compare against.

Run from bundles/jinja:  python3 src/test/python/make_goldens.py   (needs: pip install jinja2)
"""
import datetime, glob, json, os
import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

RES = "src/test/resources"
# The Java tests render with a fixed clock at this instant (UTC) so date-stamping templates are reproducible.
NOW = datetime.datetime(2025, 3, 14, 9, 26, 53)


class Generation(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


class Raised(Exception):
    pass


def raise_exception(message):
    raise Raised(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment(mutable):
    cls = SandboxedEnvironment if mutable else ImmutableSandboxedEnvironment
    env = cls(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return env


def render(source, context):
    """(output, None) or (None, error line). Falls back to a mutable sandbox for templates that use list.append,
    which HF's immutable sandbox refuses but llama.cpp (and mica) allow."""
    for mutable in (False, True):
        try:
            return environment(mutable).from_string(source).render(**context), None
        except Raised as e:
            return None, "RAISED: " + str(e)
        except jinja2.exceptions.SecurityError:
            continue
        except Exception as e:
            return None, "ERROR: " + type(e).__name__ + ": " + str(e)
    return None, "ERROR: SecurityError"


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main():
    os.makedirs(RES + "/golden", exist_ok=True)
    for old in glob.glob(RES + "/golden/*"):
        os.remove(old)
    scenarios = {os.path.basename(p)[:-5]: json.load(open(p, encoding="utf-8"))
                 for p in sorted(glob.glob(RES + "/scenarios/*.json"))}
    counts = {"ok": 0, "raised": 0, "error": 0}
    for path in sorted(glob.glob(RES + "/templates/*.jinja")):
        name = os.path.basename(path)[:-6]
        source = open(path, encoding="utf-8", newline="").read()
        for scenario, context in scenarios.items():
            # A scenario may be meant for some templates only, e.g. one needing extra variables.
            if name not in context.get("__only__", [name]):
                continue
            out, err = render(source, context)
            if err is None:
                write(f"{RES}/golden/{name}.{scenario}.txt", out)
                counts["ok"] += 1
            else:
                write(f"{RES}/golden/{name}.{scenario}.error", err)
                counts["raised" if err.startswith("RAISED") else "error"] += 1
                if not err.startswith("RAISED"):
                    print(f"{name} / {scenario}: {err[:150]}")
    print(counts)

    # llama.cpp's inline test templates, rendered on its six-message conversation.
    cases = json.load(open(RES + "/llamacpp-cases.json", encoding="utf-8"))
    conversation = [("system", "You are a helpful assistant"), ("user", "Hello"), ("assistant", "Hi there"),
                    ("user", "Who are you"), ("assistant", "   I am an assistant   "), ("user", "Another question")]
    agree = 0
    for case in cases:
        msgs = [{"role": r, "content": c} for r, c in conversation + [tuple(x) for x in case["extra_conversation"]]]
        context = {"messages": msgs, "bos_token": case.get("bos_token") or "", "eos_token": case.get("eos_token") or "",
                   "add_generation_prompt": True}
        case["context"] = context
        case["expected"], case["expected_error"] = render(case["template_str"], context)
        # llama.cpp folds the system prompt into the first user turn for templates that reject or ignore a system
        # role; render that variant too so its expectations can be compared.
        if case["expected"] is None or conversation[0][1] not in case["expected"]:
            merged = [dict(m) for m in msgs[1:]]
            merged[0]["content"] = msgs[0]["content"] + "\n" + merged[0]["content"]
            case["merged_context"] = dict(context, messages=merged)
            case["merged_expected"], _ = render(case["template_str"], case["merged_context"])
        theirs = case.get("expected_output_jinja") or case.get("expected_output")
        ours = case.get("merged_expected") if theirs == case.get("merged_expected") else case["expected"]
        case["agrees_with_llamacpp"] = ours == theirs
        agree += ours == theirs
    json.dump(cases, open(RES + "/llamacpp-cases.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    print(f"llama.cpp inline cases: {len(cases)}, Python Jinja2 agrees with llama.cpp's expectation in {agree}")
    for case in cases:
        if not case["agrees_with_llamacpp"]:
            print("  differs:", case["name"])


main()
