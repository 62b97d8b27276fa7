package dev.mica.graph.grammar;

import java.util.List;

/**
 * Parsed rules in llama.cpp's layout: every rule is a run of elements (its alternatives separated
 * by {@link #ALT}, closed by {@link #END}), all rules laid end to end, so a position in the grammar
 * is one int. A character class is a group: a {@link #CHAR}, {@link #CHAR_NOT} or {@link #CHAR_ANY}
 * head followed by {@link #CHAR_ALT}s, each of them optionally followed by a
 * {@link #CHAR_RNG_UPPER} that makes it a range.
 */
final class Grammar {
    static final int END = 0, ALT = 1, RULE_REF = 2, CHAR = 3, CHAR_NOT = 4, CHAR_RNG_UPPER = 5, CHAR_ALT = 6, CHAR_ANY = 7,
            TOKEN = 8, TOKEN_NOT = 9;

    final int[] type;
    final int[] value;
    /** Where each rule's elements start. */
    final int[] ruleStart;
    final int root;

    private Grammar(int[] type, int[] value, int[] ruleStart, int root) {
        this.type = type;
        this.value = value;
        this.ruleStart = ruleStart;
        this.root = root;
    }

    /**
     * @param rules each rule's elements as {@code type << 32 | value}, ending with END
     * @throws GrammarException for left recursion, which a pushdown matcher would expand forever
     */
    static Grammar of(List<long[]> rules, int root, List<String> names) throws GrammarException {
        int[] start = new int[rules.size()];
        int n = 0;
        for (int r = 0; r < rules.size(); r++) {
            start[r] = n;
            n += rules.get(r).length;
        }
        int[] type = new int[n], value = new int[n];
        for (int r = 0; r < rules.size(); r++) {
            long[] rule = rules.get(r);
            for (int i = 0; i < rule.length; i++) {
                type[start[r] + i] = (int) (rule[i] >>> 32);
                value[start[r] + i] = (int) rule[i];
            }
        }
        Grammar g = new Grammar(type, value, start, root);
        new LeftRecursion(g, names).check();
        return g;
    }

    boolean endOfSequence(int pos) {
        return type[pos] == END || type[pos] == ALT;
    }

    boolean isCharHead(int pos) {
        int t = type[pos];
        return t == CHAR || t == CHAR_NOT || t == CHAR_ANY;
    }

    boolean isToken(int pos) {
        return type[pos] == TOKEN || type[pos] == TOKEN_NOT;
    }

    /** Whether {@code cp} satisfies the class at {@code pos} (llama_grammar_match_char). */
    boolean matchChar(int pos, int cp) {
        boolean positive = type[pos] != CHAR_NOT;
        boolean found = false;
        do {
            if (type[pos + 1] == CHAR_RNG_UPPER) {
                found |= value[pos] <= cp && cp <= value[pos + 1];
                pos += 2;
            } else if (type[pos] == CHAR_ANY) {
                found = true;
                pos++;
            } else {
                found |= value[pos] == cp;
                pos++;
            }
        } while (type[pos] == CHAR_ALT);
        return found == positive;
    }

    /** The element after the class at {@code pos}. */
    int afterChar(int pos) {
        do {
            pos += type[pos + 1] == CHAR_RNG_UPPER ? 2 : 1;
        } while (type[pos] == CHAR_ALT);
        return pos;
    }

    /**
     * Whether some completion of a partly read UTF-8 sequence could satisfy the class at {@code pos}
     * (llama_grammar_match_partial_char, including its answers for negated classes, which are about
     * the whole range of completions rather than some of them).
     */
    boolean matchPartial(int pos, int partial, int remain) {
        boolean positive = type[pos] != CHAR_NOT;
        if (remain < 0 || (remain == 1 && partial < 2)) return false; // invalid, or a 7-bit char in two bytes
        int low = partial << (remain * 6);
        int high = low | ((1 << (remain * 6)) - 1);
        if (low == 0) {
            if (remain == 2) low = 1 << 11;
            else if (remain == 3) low = 1 << 16;
        }
        do {
            if (type[pos + 1] == CHAR_RNG_UPPER) {
                if (value[pos] <= high && low <= value[pos + 1]) return positive;
                pos += 2;
            } else if (type[pos] == CHAR_ANY) {
                return true;
            } else {
                if (low <= value[pos] && value[pos] <= high) return positive;
                pos++;
            }
        } while (type[pos] == CHAR_ALT);
        return !positive;
    }

    /**
     * A cheap test that no completion can match, to stop walking the vocabulary early. Unlike
     * {@link #matchPartial} it must never say no wrongly, so a negated class always may match.
     */
    boolean mayMatchWithin(int pos, int low, int high) {
        if (type[pos] != CHAR) return true;
        do {
            boolean range = type[pos + 1] == CHAR_RNG_UPPER;
            int lo = value[pos], hi = range ? value[pos + 1] : lo;
            if (lo <= high && low <= hi) return true;
            pos += range ? 2 : 1;
        } while (type[pos] == CHAR_ALT);
        return false;
    }

    /** llama_grammar_detect_left_recursion, over all rules. */
    private static final class LeftRecursion {
        private final Grammar g;
        private final List<String> names;
        private final boolean[] visited, inProgress, mayBeEmpty;

        LeftRecursion(Grammar g, List<String> names) {
            this.g = g;
            this.names = names;
            int n = g.ruleStart.length;
            visited = new boolean[n];
            inProgress = new boolean[n];
            mayBeEmpty = new boolean[n];
        }

        void check() throws GrammarException {
            for (int r = 0; r < g.ruleStart.length; r++) {
                if (!visited[r] && detect(r)) {
                    throw new GrammarException("left recursion in rule '" + names.get(r) + "', which this grammar engine cannot expand");
                }
            }
        }

        private boolean detect(int rule) {
            if (inProgress[rule]) return true;
            inProgress[rule] = true;
            int start = g.ruleStart[rule];
            boolean atStart = true;
            for (int p = start; ; p++) {
                if (g.endOfSequence(p)) {
                    if (atStart) {
                        mayBeEmpty[rule] = true;
                        break;
                    }
                    atStart = true;
                } else {
                    atStart = false;
                }
                if (g.type[p] == END) break;
            }
            // the leftmost nonterminal of each alternative, and the next ones while those may be empty
            boolean leftmost = true;
            for (int p = start; ; p++) {
                if (g.type[p] == RULE_REF && leftmost) {
                    if (detect(g.value[p])) return true;
                    if (!mayBeEmpty[g.value[p]]) leftmost = false;
                } else if (g.endOfSequence(p)) {
                    leftmost = true;
                } else {
                    leftmost = false;
                }
                if (g.type[p] == END) break;
            }
            inProgress[rule] = false;
            visited[rule] = true;
            return false;
        }
    }
}
