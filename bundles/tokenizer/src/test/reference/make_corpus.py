#!/usr/bin/env python3
"""Writes the differential corpus (reference/corpus.inp) that ReferenceCorpusTest tokenizes with both
the Java tokenizer and libllama (tokenize_reference.c). Deterministic: re-running gives the same file.

The inputs mix what tokenizers get wrong: every whitespace kind, contractions in any case, digit runs,
punctuation and symbol runs, letters of many scripts, combining marks, emoji sequences, code points
llama.cpp's tables class as undefined or control, byte-fallback territory, and special-token texts
(whole, partial, glued to words, inside spaces), in random mixtures, plus a few longer realistic texts.

    python3 bundles/tokenizer/src/test/reference/make_corpus.py \
        > bundles/tokenizer/src/test/resources/dev/mica/tokenizer/reference/corpus.inp
"""
import random
import sys

SEPARATOR = "\n__ggml_vocab_test__\n"

ATOMS = [
    # words and case
    "hello", "Hello", "HELLO", "world", "the", "The", " the", "a", "I", "tokenizer", "llama", "Qwen",
    "internationalization", "antidisestablishmentarianism", "camelCaseWord", "snake_case_word",
    "x", "Z", "ab", "é", "naïve", "café", "Straße", "ǅ", "ﬁ",
    # contractions and apostrophes
    "'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'lL", "'d", "'D",
    "'x", "'", "''", "don't", "I'M", "we'LL", "rock'n'roll", "’s", "‘quoted’",
    # digits and numbers of other kinds
    "0", "7", "42", "123", "1234", "12345", "3333333", "2024-06-01", "3.14159", "1,000,000", "0x1F",
    "²", "³¹", "½", "¾", "Ⅻ", "ⅷ", "①", "٣٤٥", "१२३", "𝟘𝟙𝟚",
    # punctuation and symbols
    ".", ",", "!", "?", "...", "?!", "(", ")", "[", "]", "{", "}", "<", ">", "<<", ">>=", "->", "=>",
    "#", "$", "%", "&", "*", "+", "-", "--", "---", "/", "\\", "|", "~", "`", "^", "@", "_", "__",
    ";", ":", "\"", "“quotes”", "«»", "—", "–", "…", "·", "•", "§", "¶", "©", "®", "™", "°",
    "€", "£", "¥", "₹", "₿", "∑", "∫", "≈", "≠", "√", "∞", "→", "⇒", "♥", "☃", "✓", "✅", "❤️",
    # whitespace of every kind
    " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r", "\r\n", "\r\n\r\n", " \n", "\n ",
    "\t\n", " \t ", "\x0b", "\x0c", "\u00a0", "\u0085", "\u1680", "\u2000", "\u2009", "\u200a",
    "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b", "\u200c", "\u200d", "\ufeff",
    # scripts
    "привет", "Привет мир", "Καλημέρα", "שלום", "مرحبا بالعالم", "नमस्ते", "हिन्दी", "স্বাগতম",
    "สวัสดีครับ", "ကြိုဆိုပါတယ်", "ខ្មែរ", "தமிழ்", "ಕನ್ನಡ", "ქართული", "Հայերեն", "አማርኛ",
    "我想在apple工作", "你好，世界！", "こんにちは世界", "カタカナ", "ﾊﾝｶｸ", "안녕하세요", "한국어",
    "𠀀𠀁", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝐁𝐨𝐥𝐝", "ＡＢＣ１２３", "Ｈｅｌｌｏ",
    # combining marks and emoji sequences
    "e\u0301", "a\u0308\u0301", "\u0301", "\u0301\u0302", "n\u0303o", "ᄀ\u1161\u11a8",
    "🦙", "🚀", "😀😃", "👍🏽", "👨‍👩‍👧‍👦", "😶‍🌫️", "🇺🇸🇫🇷", "🏳️‍🌈", "#️⃣", "©️",
    # code points at the edges of the tables
    "\x00", "\x01", "\x1b", "\x7f", "\x80", "\x9f", "\u00ad", "\u0378", "\u0890", "\ue000", "\uf8ff",
    "\ufdd0", "\ufffd", "\uffff", "\U0001fbff", "\U000e0001", "\U000f0000", "\U0010ffff",
    # tokenizer-specific text
    "\u2581", "\u2581the", "Ġ", "Ċ", "<0x0A>", "<0x41>", "<0xZZ>",
    # special tokens: whole, partial, doubled
    "<s>", "</s>", "<unk>", "<pad>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>",
    "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_5|>", "<|python_tag|>",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|vision_start|>",
    "<tool_call>", "</tool_call>", "<think>", "</think>", "<|im_", "im_end|>", "<|<|im_end|>|>",
    "<s><s>", "</s></s>", "<|endoftext|><|endoftext|>",
]

TEXTS = [
    "The quick brown fox jumps over the lazy dog. It's 2024, and we'll see what's next!",
    "def tokenize(text: str) -> list[int]:\n    \"\"\"Split text.\"\"\"\n    return [ord(c) for c in text]  # TODO\n",
    "{\"model\": \"llama3\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi!\"}], \"temperature\": 0.7}",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    "<s>[INST] Tell me a story. [/INST] Once upon a time, there was a little llama.</s>",
    "    int main(void) {\n\tprintf(\"%d\\n\", 42);\r\n\treturn 0;\n}\n\n\n",
    "Ünïcödé   tëxt\u00a0with\u3000odd  spaces\t\tand\n\n\nlines  \n  ",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    "東京は日本の首都です。人口は約1400万人です。",
    "Москва — столица России. Население: 13 010 112 человек (2021).",
    "عدد السكان ٣٤٥ مليون نسمة في عام ٢٠٢٠م.",
    "a" * 64, " " * 33, "\n" * 17, "9" * 41, "!" * 25, "ab" * 40, "🦙" * 12, "\u2581" * 9, "'s" * 10,
    "   leading and trailing spaces   ", "\ttabbed\tline\t", "MiXeD CaSe WoRdS", "x" + " " * 7 + "y",
]


def mixture(rng):
    parts = []
    for _ in range(rng.randint(1, 12)):
        atom = rng.choice(ATOMS)
        joiner = rng.choice(["", "", "", " ", " ", "  ", "\n", "\t"])
        parts.append(joiner + atom)
    return "".join(parts)


def main():
    rng = random.Random(20240606)
    inputs = [""] + TEXTS + [mixture(rng) for _ in range(320)]
    for text in inputs:
        if SEPARATOR in text:
            raise SystemExit("an input holds the separator")
    sys.stdout.buffer.write(SEPARATOR.join(inputs).encode("utf-8"))


main()
