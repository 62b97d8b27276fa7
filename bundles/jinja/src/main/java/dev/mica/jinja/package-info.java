/**
 * A sandboxed Jinja2 interpreter for LLM chat templates.
 *
 * <p>{@link dev.mica.jinja.Template#parse(String)} compiles the Jinja source found in GGUF
 * ({@code tokenizer.chat_template}) or HF {@code tokenizer_config.json}; {@link dev.mica.jinja.Template#render} renders
 * it with plain Java data. Output matches Python Jinja2 as configured by transformers' {@code apply_chat_template}
 * (trim_blocks, lstrip_blocks, loop controls, the {@code generation} block, a {@code json.dumps}-based
 * {@code tojson}, {@code raise_exception}, {@code strftime_now}); the tests compare against renderings by Python Jinja2.
 *
 * <p>Reading order: {@code Lexer} (text, tags, whitespace control) → {@code Parser} (recursive descent) →
 * {@code Ast} (records) → {@code Interpreter} (scopes, loops, macros, limits) → {@code Filters} (filters and tests),
 * {@code Methods} (Python methods on str/dict/list), {@code PyValues}, {@code PyStrings} and {@code PyFormat}
 * (Python semantics of values, strings and formatting).
 *
 * <p>Not supported: template inheritance and loading ({@code extends}, {@code block}, {@code include},
 * {@code import}), recursive for loops, autoescaping, line statements, async, custom delimiters. Python's
 * {@code dict.keys()} views render as plain lists.
 */
package dev.mica.jinja;
