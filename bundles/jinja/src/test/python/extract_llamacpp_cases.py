"""One-off: extracts the inline chat templates and expected outputs of llama.cpp's tests/test-chat-template.cpp
into src/test/resources/llamacpp-cases.json (name, template, bos/eos, llama.cpp's expected jinja output)."""
import json, re, sys

src = open(sys.argv[1], encoding="utf-8").read()
body = src[src.index("std::vector<TestCase> test_cases {"):src.index("std::vector<char> formatted_chat")]

def literals(text):
    """Concatenated C++ string literals in text (handles u8/U8C wrappers)."""
    out, i = [], 0
    while True:
        i = text.find('"', i)
        if i < 0:
            return "".join(out) if out else None
        j, buf = i + 1, []
        while text[j] != '"':
            if text[j] == '\\':
                e = text[j + 1]
                buf.append({'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'"}[e])
                j += 2
            else:
                buf.append(text[j]); j += 1
        out.append("".join(buf))
        i = j + 1

cases = []
for block in re.split(r"\n        \{\n", body)[1:]:
    fields = {}
    for m in re.finditer(r"/\* \.(\w+)=? ?\*/(.*?)(?=\n\s*/\*|\n\s*\},?\s*$|\Z)", block, re.S):
        fields[m.group(1)] = m.group(2)
    case = {k: literals(fields[k]) for k in ("name", "template_str", "expected_output", "expected_output_jinja",
                                              "bos_token", "eos_token") if k in fields}
    case["supported_with_jinja"] = "false" not in fields.get("supported_with_jinja", "true")
    strings = [literals('"' + m + '"') for m in re.findall(r'"((?:[^"\\]|\\.)*)"', fields.get("extra_conversation", ""))]
    case["extra_conversation"] = [strings[i:i + 2] for i in range(0, len(strings), 2)]
    cases.append(case)
json.dump(cases, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
print(len(cases), "cases")
