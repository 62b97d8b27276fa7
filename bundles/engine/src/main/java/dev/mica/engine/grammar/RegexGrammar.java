package dev.mica.engine.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * A JSON schema {@code pattern} as a GBNF expression over the characters of a JSON string's body,
 * so a constrained model writes strings the pattern accepts. JSON Schema patterns search (an
 * unanchored side may be surrounded by anything); {@code ^} and {@code $} anchor them.
 *
 * <p>Understood: literals and escapes ({@code \d \w \s \D \W \S}, escaped punctuation), {@code .},
 * character classes with ranges and negation, groups ({@code (...)}, {@code (?:...)}),
 * alternation, and the quantifiers {@code * + ? {n} {n,} {n,m}} (lazy ones as greedy). The grammar
 * is sound, not complete: a negated class or {@code .} never writes {@code "} or {@code \}, which a
 * JSON string could only hold escaped. Anything else (back-references, look-around, anchors
 * inside) is a {@link Unsupported}, and the caller leaves the pattern unenforced.
 */
final class RegexGrammar {
    /** A pattern this translation does not cover. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    /** Characters no class may produce unescaped inside a JSON string. */
    private static final String JSON_EXCLUDED = "\"\\\\\\x00-\\x1F\\x7F";
    private static final String ANY = "[^" + JSON_EXCLUDED + "\\n]";

    private final String pattern;
    private int at;

    private RegexGrammar(String pattern) {
        this.pattern = pattern;
    }

    /** The GBNF expression of a JSON string (with its quotes) whose content {@code pattern} matches. */
    static String string(String pattern) throws Unsupported {
        String p = pattern;
        boolean start = p.startsWith("^");
        boolean end = p.endsWith("$") && !p.endsWith("\\$");
        if (start) p = p.substring(1);
        if (end) p = p.substring(0, p.length() - 1);
        RegexGrammar g = new RegexGrammar(p);
        String body = g.alternation();
        if (g.at != p.length()) throw new Unsupported("unexpected '" + p.charAt(g.at) + "' at " + g.at);
        String anything = ANY + "*";
        return "\"\\\"\" " + (start ? "" : anything + " ") + "(" + body + ")" + (end ? "" : " " + anything) + " \"\\\"\"";
    }

    private String alternation() throws Unsupported {
        List<String> alternatives = new ArrayList<>();
        alternatives.add(sequence());
        while (at < pattern.length() && pattern.charAt(at) == '|') {
            at++;
            alternatives.add(sequence());
        }
        return alternatives.size() == 1 ? alternatives.getFirst() : "(" + String.join(" | ", alternatives) + ")";
    }

    private String sequence() throws Unsupported {
        List<String> items = new ArrayList<>();
        while (at < pattern.length() && pattern.charAt(at) != '|' && pattern.charAt(at) != ')') {
            String atom = atom();
            items.add(quantified(atom));
        }
        return items.isEmpty() ? "\"\"" : String.join(" ", items);
    }

    private String atom() throws Unsupported {
        char c = pattern.charAt(at++);
        return switch (c) {
            case '(' -> {
                if (pattern.startsWith("?:", at)) at += 2;
                else if (at < pattern.length() && pattern.charAt(at) == '?') throw new Unsupported("look-around and named groups");
                String inner = alternation();
                if (at >= pattern.length() || pattern.charAt(at) != ')') throw new Unsupported("an unclosed group");
                at++;
                yield "(" + inner + ")";
            }
            case '[' -> characterClass();
            case '.' -> ANY;
            case '\\' -> escape();
            case '^', '$' -> throw new Unsupported("anchors inside the pattern");
            case '*', '+', '?', '{' -> throw new Unsupported("a quantifier with nothing to repeat");
            default -> literal(c);
        };
    }

    private String quantified(String atom) throws Unsupported {
        if (at >= pattern.length()) return atom;
        char q = pattern.charAt(at);
        String out;
        switch (q) {
            case '*', '+', '?' -> {
                at++;
                out = "(" + atom + ")" + q;
            }
            case '{' -> {
                int close = pattern.indexOf('}', at);
                if (close < 0) throw new Unsupported("an unclosed {");
                String[] bounds = pattern.substring(at + 1, close).split(",", -1);
                try {
                    int min = Integer.parseInt(bounds[0].trim());
                    int max = bounds.length == 1 ? min : bounds[1].isBlank() ? -1 : Integer.parseInt(bounds[1].trim());
                    if (min > JsonSchemaGrammar.MAX_REPEAT || max > JsonSchemaGrammar.MAX_REPEAT || max >= 0 && max < min) {
                        throw new Unsupported("repetition bounds {" + min + "," + max + "}");
                    }
                    out = "(" + atom + ")" + "{" + min + "," + (max < 0 ? "" : max) + "}";
                } catch (NumberFormatException e) {
                    throw new Unsupported("repetition bounds " + pattern.substring(at, close + 1));
                }
                at = close + 1;
            }
            default -> {
                return atom;
            }
        }
        if (at < pattern.length() && pattern.charAt(at) == '?') at++; // lazy: the same strings
        return out;
    }

    private String escape() throws Unsupported {
        if (at >= pattern.length()) throw new Unsupported("a trailing backslash");
        char e = pattern.charAt(at++);
        return switch (e) {
            case 'd' -> "[0-9]";
            case 'w' -> "[a-zA-Z0-9_]";
            case 's' -> "[ ]";
            case 'D' -> "[^0-9" + JSON_EXCLUDED + "\\n]";
            case 'W' -> "[^a-zA-Z0-9_" + JSON_EXCLUDED + "\\n]";
            case 'S' -> "[^ " + JSON_EXCLUDED + "\\n]";
            case 'n', 't', 'r' -> JsonSchemaGrammar.literal("\\" + e); // written escaped in JSON
            default -> {
                if (Character.isLetterOrDigit(e)) throw new Unsupported("the escape \\" + e);
                yield literal(e);
            }
        };
    }

    /** One character as it is written inside a JSON string. */
    private static String literal(char c) {
        if (c == '"') return JsonSchemaGrammar.literal("\\\"");
        if (c == '\\') return JsonSchemaGrammar.literal("\\\\");
        return JsonSchemaGrammar.literal(Character.toString(c));
    }

    private String characterClass() throws Unsupported {
        boolean negated = at < pattern.length() && pattern.charAt(at) == '^';
        if (negated) at++;
        StringBuilder ranges = new StringBuilder();
        List<String> escapedMembers = new ArrayList<>(); // " and \ cannot sit in a class: they are two characters in JSON
        boolean first = true;
        while (at < pattern.length() && (pattern.charAt(at) != ']' || first)) {
            first = false;
            char c = pattern.charAt(at++);
            if (c == '\\') {
                if (at >= pattern.length()) throw new Unsupported("a trailing backslash");
                char e = pattern.charAt(at++);
                switch (e) {
                    case 'd' -> ranges.append("0-9");
                    case 'w' -> ranges.append("a-zA-Z0-9_");
                    case 's' -> ranges.append(' ');
                    default -> {
                        if (Character.isLetterOrDigit(e)) throw new Unsupported("the escape \\" + e + " in a class");
                        member(e, ranges, escapedMembers, negated);
                    }
                }
            } else if (at + 1 < pattern.length() && pattern.charAt(at) == '-' && pattern.charAt(at + 1) != ']') {
                char to = pattern.charAt(at + 1);
                at += 2;
                if (to < c) throw new Unsupported("a reversed range " + c + "-" + to);
                ranges.append(JsonSchemaGrammar.rangeChar(c)).append('-').append(JsonSchemaGrammar.rangeChar(to));
            } else {
                member(c, ranges, escapedMembers, negated);
            }
        }
        if (at >= pattern.length()) throw new Unsupported("an unclosed [");
        at++;
        if (negated) return "[^" + ranges + JSON_EXCLUDED + "\\n]";
        String set = ranges.isEmpty() ? null : "[" + ranges + "]";
        if (escapedMembers.isEmpty()) {
            if (set == null) throw new Unsupported("an empty class");
            return set;
        }
        List<String> alternatives = new ArrayList<>(escapedMembers);
        if (set != null) alternatives.addFirst(set);
        return "(" + String.join(" | ", alternatives) + ")";
    }

    private static void member(char c, StringBuilder ranges, List<String> escapedMembers, boolean negated) {
        if (c == '"' || c == '\\') {
            if (!negated) escapedMembers.add(literal(c)); // a negated class excludes them anyway
        } else {
            ranges.append(JsonSchemaGrammar.rangeChar(c));
        }
    }

}
