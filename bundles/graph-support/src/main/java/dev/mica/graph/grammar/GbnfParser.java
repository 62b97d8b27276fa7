package dev.mica.graph.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * GBNF text to {@link Grammar}, a port of llama.cpp's {@code llama_grammar_parser}: the same
 * syntax, the same rewriting of groups and repetitions into generated rules, the same limits. So a
 * grammar means here what it means to libllama, and one it refuses is refused here too.
 */
final class GbnfParser {
    /** llama.cpp's cap on repetition counts and on the rules a nested repetition multiplies into. */
    private static final int MAX_REPETITION_THRESHOLD = 2000;

    private final String src;
    /** Text of a {@code <token>} reference to its id, or -1 when it is not exactly one token; null: none known. */
    private final ToIntFunction<String> tokens;
    private final Map<String, Integer> symbols = new LinkedHashMap<>();
    private final List<long[]> rules = new ArrayList<>();
    private int pos;

    private GbnfParser(String src, ToIntFunction<String> tokens) {
        this.src = src;
        this.tokens = tokens;
    }

    static Grammar parse(String gbnf, String root, ToIntFunction<String> tokens) throws GrammarException {
        GbnfParser p = new GbnfParser(gbnf, tokens);
        p.pos = p.space(0, true);
        while (p.pos < gbnf.length()) p.rule();
        List<String> names = new ArrayList<>(p.symbols.keySet());
        for (int id = 0; id < names.size(); id++) {
            if (id >= p.rules.size() || p.rules.get(id) == null) throw new GrammarException("undefined rule '" + names.get(id) + "'");
        }
        if (names.isEmpty()) throw new GrammarException("the grammar has no rules");
        Integer start = p.symbols.get(root);
        if (start == null) throw new GrammarException("the grammar has no rule '" + root + "' to start from");
        return Grammar.of(p.rules, start, names);
    }

    private char at(int i) {
        return i < src.length() ? src.charAt(i) : 0;
    }

    private GrammarException error(String what, int where) {
        String rest = src.substring(Math.min(where, src.length()));
        return new GrammarException(what + (rest.isEmpty() ? " at the end" : " at '" + (rest.length() > 40 ? rest.substring(0, 40) + "…" : rest) + "'"));
    }

    private static boolean isWordChar(char c) {
        return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || ('0' <= c && c <= '9');
    }

    private static boolean isDigit(char c) {
        return '0' <= c && c <= '9';
    }

    private int space(int i, boolean newlineOk) {
        while (true) {
            char c = at(i);
            if (c == '#') {
                while (i < src.length() && at(i) != '\r' && at(i) != '\n') i++;
            } else if (c == ' ' || c == '\t' || (newlineOk && (c == '\r' || c == '\n'))) {
                i++;
            } else {
                return i;
            }
        }
    }

    private int nameEnd(int i) throws GrammarException {
        int end = i;
        while (isWordChar(at(end))) end++;
        if (end == i) throw error("expecting a name", i);
        return end;
    }

    private int intEnd(int i) throws GrammarException {
        int end = i;
        while (isDigit(at(end))) end++;
        if (end == i) throw error("expecting an integer", i);
        return end;
    }

    private long integer(int from, int to) throws GrammarException {
        try {
            return Long.parseLong(src.substring(from, to));
        } catch (NumberFormatException e) {
            throw error("integer out of range", from);
        }
    }

    private int symbol(String name) {
        return symbols.computeIfAbsent(name, k -> symbols.size());
    }

    private int generatedSymbol(String base) {
        int id = symbols.size();
        symbols.put(base + '_' + id, id);
        return id;
    }

    private void addRule(int id, long[] rule) {
        while (rules.size() <= id) rules.add(null);
        rules.set(id, rule);
    }

    private void rule() throws GrammarException {
        int end = nameEnd(pos);
        String name = src.substring(pos, end);
        pos = space(end, false);
        int id = symbol(name);
        if (!src.startsWith("::=", pos)) throw error("expecting ::=", pos);
        pos = space(pos + 3, true);
        alternates(name, id, false);
        if (at(pos) == '\r') {
            pos += at(pos + 1) == '\n' ? 2 : 1;
        } else if (at(pos) == '\n') {
            pos++;
        } else if (pos < src.length()) {
            throw error("expecting newline or end", pos);
        }
        pos = space(pos, true);
    }

    private void alternates(String ruleName, int id, boolean nested) throws GrammarException {
        Elements rule = new Elements();
        sequence(ruleName, rule, nested);
        while (at(pos) == '|') {
            rule.add(Grammar.ALT, 0);
            pos = space(pos + 1, true);
            sequence(ruleName, rule, nested);
        }
        rule.add(Grammar.END, 0);
        addRule(id, rule.toArray());
    }

    /** Reads items up to something that is not one ('|', ')', a newline outside a group, the end). */
    private void sequence(String ruleName, Elements rule, boolean nested) throws GrammarException {
        Repeater last = new Repeater(ruleName, rule);
        while (pos < src.length()) {
            char c = at(pos);
            if (c == '"') {
                pos++;
                last.start(1);
                while (at(pos) != '"') {
                    if (pos >= src.length()) throw error("unexpected end of input in a string", pos);
                    rule.add(Grammar.CHAR, character());
                }
                pos = space(pos + 1, nested);
            } else if (c == '[') {
                pos++;
                int head = Grammar.CHAR;
                if (at(pos) == '^') {
                    pos++;
                    head = Grammar.CHAR_NOT;
                }
                last.start(1);
                int first = rule.size();
                while (at(pos) != ']') {
                    if (pos >= src.length()) throw error("unexpected end of input in a character class", pos);
                    rule.add(rule.size() > first ? Grammar.CHAR_ALT : head, character());
                    if (at(pos) == '-' && at(pos + 1) != ']') {
                        if (pos + 1 >= src.length()) throw error("unexpected end of input in a character class", pos);
                        pos++;
                        rule.add(Grammar.CHAR_RNG_UPPER, character());
                    }
                }
                pos = space(pos + 1, nested);
            } else if (c == '<' || c == '!') {
                int type = Grammar.TOKEN;
                if (c == '!') {
                    type = Grammar.TOKEN_NOT;
                    pos++;
                }
                int token = token();
                last.start(1);
                rule.add(type, token);
                pos = space(pos, nested);
            } else if (isWordChar(c)) {
                int end = nameEnd(pos);
                int ref = symbol(src.substring(pos, end));
                pos = space(end, nested);
                last.start(1);
                rule.add(Grammar.RULE_REF, ref);
            } else if (c == '(') {
                pos = space(pos + 1, true);
                int before = symbols.size();
                int sub = generatedSymbol(ruleName);
                alternates(ruleName, sub, true);
                last.start(Math.max(1, symbols.size() - before));
                rule.add(Grammar.RULE_REF, sub);
                if (at(pos) != ')') throw error("expecting ')'", pos);
                pos = space(pos + 1, nested);
            } else if (c == '.') {
                last.start(1);
                rule.add(Grammar.CHAR_ANY, 0);
                pos = space(pos + 1, nested);
            } else if (c == '*' || c == '+' || c == '?') {
                pos = space(pos + 1, nested);
                last.repeat(c == '+' ? 1 : 0, c == '?' ? 1 : -1);
            } else if (c == '{') {
                pos = space(pos + 1, nested);
                if (!isDigit(at(pos))) throw error("expecting an int", pos);
                int end = intEnd(pos);
                long min = integer(pos, end);
                long max = -1;
                pos = space(end, nested);
                if (at(pos) == '}') {
                    max = min;
                    pos = space(pos + 1, nested);
                } else if (at(pos) == ',') {
                    pos = space(pos + 1, nested);
                    if (isDigit(at(pos))) {
                        end = intEnd(pos);
                        max = integer(pos, end);
                        pos = space(end, nested);
                    }
                    if (at(pos) != '}') throw error("expecting '}'", pos);
                    pos = space(pos + 1, nested);
                } else {
                    throw error("expecting ','", pos);
                }
                if (min > MAX_REPETITION_THRESHOLD) throw error("number of repetitions exceeds " + MAX_REPETITION_THRESHOLD, pos);
                if (max > MAX_REPETITION_THRESHOLD) max = -1; // as llama.cpp: a large bound becomes no bound
                if (max >= 0 && max < min) throw error("repetition {" + min + "," + max + "} has its maximum below its minimum", pos);
                last.repeat((int) min, (int) max);
            } else {
                break;
            }
        }
    }

    /** One character of a literal or class, escapes decoded; the value is a code point (or what \U says, capped). */
    private int character() throws GrammarException {
        char c = at(pos);
        if (c == '\\') {
            char e = at(pos + 1);
            pos += 2;
            return switch (e) {
                case 'x' -> hex(2);
                case 'u' -> hex(4);
                case 'U' -> hex(8);
                case 't' -> '\t';
                case 'r' -> '\r';
                case 'n' -> '\n';
                case '\\', '"', '[', ']', '-' -> e;
                default -> throw error("unknown escape", pos - 2);
            };
        }
        if (pos >= src.length()) throw error("unexpected end of input", pos);
        int cp = src.codePointAt(pos);
        pos += Character.charCount(cp);
        return cp;
    }

    /**
     * {@code digits} hex digits. Values past Integer.MAX_VALUE (only \U can write them) are capped
     * there: decoded text never exceeds 0x3FFFFF, so they compare with it exactly as they would.
     */
    private int hex(int digits) throws GrammarException {
        long v = 0;
        for (int i = 0; i < digits; i++) {
            char c = at(pos);
            int d = '0' <= c && c <= '9' ? c - '0' : 'a' <= c && c <= 'f' ? c - 'a' + 10 : 'A' <= c && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) throw error("expecting " + digits + " hex chars", pos);
            v = v << 4 | d;
            pos++;
        }
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    /** {@code <[id]>} or {@code <text>}, the text being exactly one token of the model's vocabulary. */
    private int token() throws GrammarException {
        int start = pos;
        if (at(pos) != '<') throw error("expecting '<'", pos);
        pos++;
        if (at(pos) == '[') {
            pos++;
            int end = intEnd(pos);
            long id = integer(pos, end);
            pos = end;
            if (at(pos) != ']') throw error("expecting ']'", pos);
            pos++;
            if (at(pos) != '>') throw error("expecting '>'", pos);
            pos++;
            return (int) Math.min(id, Integer.MAX_VALUE);
        }
        if (tokens == null) throw error("no vocabulary to read a token reference", start);
        int close = src.indexOf('>', pos);
        if (close < 0) throw error("expecting '>'", src.length());
        pos = close + 1;
        String text = src.substring(start, pos);
        int id = tokens.applyAsInt(text);
        if (id < 0) throw error("'" + text + "' is not a single token of the vocabulary", start);
        return id;
    }

    /**
     * The item a repetition operator applies to (from its start to the rule's end), and the
     * rewriting llama.cpp does: S{m,n} becomes m copies of S then n-m nested optional rules;
     * S{m,} becomes m copies then a rule S' ::= S S' | (empty).
     */
    private final class Repeater {
        private final String ruleName;
        private final Elements rule;
        private int start;
        /** How many rules the item already expands into; a repetition of it multiplies them. */
        private long expansion = 1;

        Repeater(String ruleName, Elements rule) {
            this.ruleName = ruleName;
            this.rule = rule;
            this.start = rule.size();
        }

        void start(long expansion) {
            this.start = rule.size();
            this.expansion = expansion;
        }

        void repeat(int min, int max) throws GrammarException {
            boolean unbounded = max < 0;
            if (start == rule.size()) throw error("expecting an item before */+/?/{", pos);
            long[] item = rule.tail(start);
            long total = !unbounded && max > 0 ? max : Math.max(min, 1);
            if (expansion * total > MAX_REPETITION_THRESHOLD) {
                throw error("the repetition expands into more than " + MAX_REPETITION_THRESHOLD + " rules; reduce the repetitions or nesting", pos);
            }
            if (min == 0) {
                rule.truncate(start);
            } else {
                for (int i = 1; i < min; i++) rule.addAll(item);
            }
            int optional = unbounded ? 1 : max - min;
            int lastRec = 0;
            for (int i = 0; i < optional; i++) {
                Elements rec = new Elements();
                rec.addAll(item);
                int recId = generatedSymbol(ruleName);
                if (i > 0 || unbounded) rec.add(Grammar.RULE_REF, unbounded ? recId : lastRec);
                rec.add(Grammar.ALT, 0);
                rec.add(Grammar.END, 0);
                addRule(recId, rec.toArray());
                lastRec = recId;
            }
            if (optional > 0) rule.add(Grammar.RULE_REF, lastRec);
            expansion *= total;
        }
    }

    /** A growing rule: elements as {@code type << 32 | value}. */
    private static final class Elements {
        private long[] data = new long[16];
        private int size;

        int size() {
            return size;
        }

        void add(int type, int value) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = (long) type << 32 | (value & 0xFFFFFFFFL);
        }

        void addAll(long[] elements) {
            for (long e : elements) add((int) (e >>> 32), (int) e);
        }

        long[] tail(int from) {
            return Arrays.copyOfRange(data, from, size);
        }

        void truncate(int to) {
            size = to;
        }

        long[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
