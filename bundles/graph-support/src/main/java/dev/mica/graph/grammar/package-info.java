/**
 * GBNF grammars enforced on a model's tokens, with the semantics of libllama's grammar sampler:
 * {@link dev.mica.graph.grammar.TokenGrammar} over a {@link dev.mica.graph.grammar.Vocabulary}.
 * The rest (parser, rules, pushdown stacks, UTF-8 across tokens, the vocabulary trie) is private
 * to the package.
 */
package dev.mica.graph.grammar;
