#!/usr/bin/env python3
"""Writes src/main/resources/dev/mica/tokenizer/unicode-flags.txt from llama.cpp's src/unicode-data.cpp.

The BPE pre-tokenizers must classify code points exactly as the llama.cpp build mica ships does
(letters, numbers, whitespace...), not as the JDK's Unicode version would, so the Java side reads
llama.cpp's own tables. Re-run when mica moves to another llama.cpp:

    python3 bundles/tokenizer/gen-unicode-data.py /path/to/llama.cpp/src/unicode-data.cpp <commit>
"""
import pathlib
import re
import sys

if len(sys.argv) != 3:
    sys.exit("usage: gen-unicode-data.py <llama.cpp/src/unicode-data.cpp> <llama.cpp commit>")
source = pathlib.Path(sys.argv[1]).read_text()
commit = sys.argv[2]


def section(name, following):
    start = source.index(name)
    return source[start:source.index(following, start)]


ranges = re.findall(r"\{0x([0-9A-Fa-f]+), 0x([0-9A-Fa-f]+)\}",
                    section("unicode_ranges_flags", "unicode_set_whitespace"))
whitespace = re.findall(r"0x([0-9A-Fa-f]+)", section("unicode_set_whitespace = {", "};"))
if not ranges or int(ranges[0][0], 16) != 0 or int(ranges[-1][0], 16) != 0x110000:
    sys.exit("unexpected unicode_ranges_flags layout")

out = pathlib.Path(__file__).parent / "src/main/resources/dev/mica/tokenizer/unicode-flags.txt"
with out.open("w") as f:
    f.write(f"# llama.cpp {commit}, src/unicode-data.cpp, written by bundles/tokenizer/gen-unicode-data.py\n")
    f.write("# ranges: first code point, flags (a range ends where the next begins); then the whitespace set\n")
    f.write("ranges\n")
    for first, flags in ranges:
        f.write(f"{int(first, 16):06X} {int(flags, 16):04X}\n")
    f.write("whitespace\n")
    for cp in whitespace:
        f.write(f"{int(cp, 16):06X}\n")
print(f"{out}: {len(ranges)} ranges, {len(whitespace)} whitespace code points")
