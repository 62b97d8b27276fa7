package dev.mica.jinja;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits template source into literal text and the tokens inside {@code {{ }}} and {@code {% %}} tags.
 *
 * <p>All whitespace control happens here, exactly as in Jinja's lexer: {@code -} on a tag strips the adjacent
 * whitespace, {@code +} disables lstrip/trim, {@code trim_blocks} eats the newline after a block tag or comment and
 * {@code lstrip_blocks} eats the indentation before one. Comments vanish and {@code raw} blocks become text.
 */
final class Lexer {

    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String text, int line, int col) {
        boolean is(Kind k, String t) {
            return kind == k && text.equals(t);
        }

        boolean isName(String t) {
            return is(Kind.NAME, t);
        }

        boolean isOp(String t) {
            return is(Kind.OP, t);
        }
    }

    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%([-+]?)\\s*raw\\s*(-?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
        "<", ">", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final Template.Options options;
    /** Offsets at which each line starts, for cheap line numbers. */
    private final int[] lineStarts;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    /** Whether the previous tag ended with a newline: lstrip then also applies to text without a newline. */
    private boolean lineStarting = true;

    Lexer(String source, Template.Options options) {
        // Jinja normalises newlines and, unless told otherwise, drops a single trailing newline.
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (!options.keepTrailingNewline() && s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        this.src = s;
        this.options = options;
        var starts = new java.util.ArrayList<Integer>(List.of(0));
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                starts.add(i + 1);
            }
        }
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    List<Token> tokenize() {
        while (pos < src.length()) {
            int tag = nextTagStart(pos);
            if (tag < 0) {
                emitText(src.substring(pos), pos);
                break;
            }
            char type = src.charAt(tag + 1);
            char sign = tag + 2 < src.length() ? src.charAt(tag + 2) : ' ';
            var raw = type == '%' ? RAW_BEGIN.matcher(src).region(tag, src.length()) : null;
            boolean isRaw = raw != null && raw.lookingAt();
            String text = controlText(src.substring(pos, tag), sign, type != '{');
            emitText(text, pos);
            if (isRaw) {
                lexRaw(raw.end(), raw.group(2).equals("-"));
            } else if (type == '#') {
                lexComment(tag, sign);
            } else {
                lexTag(tag, type, sign);
            }
        }
        tokens.add(new Token(Kind.EOF, "", lineAt(src.length()), colAt(src.length())));
        return tokens;
    }

    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Applies the left-hand whitespace rules of a tag to the text before it. */
    private String controlText(String text, char sign, boolean lstripCandidate) {
        if (sign == '-') {
            return PyStrings.rstrip(text, null);
        }
        if (sign != '+' && lstripCandidate && options.lstripBlocks()) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                    && PyStrings.strip(text.substring(lineStart), null).isEmpty()) {
                return text.substring(0, lineStart);
            }
        }
        return text;
    }

    private void emitText(String text, int at) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Kind.TEXT, text, lineAt(at), colAt(at)));
        }
    }

    private void lexComment(int tag, char sign) {
        int bodyStart = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
        int end = src.indexOf("#}", bodyStart);
        if (end < 0) {
            throw error("missing end of comment tag", tag);
        }
        finishTag(end + 2, end > bodyStart ? src.charAt(end - 1) : ' ', true);
    }

    private void lexRaw(int bodyStart, boolean stripAfterBegin) {
        int start = stripAfterBegin ? skipWhitespace(bodyStart) : bodyStart;
        var end = RAW_END.matcher(src).region(start, src.length());
        if (!end.find()) {
            throw error("missing end of raw directive", start);
        }
        emitText(controlText(src.substring(start, end.start()), end.group(1).isEmpty() ? ' ' : end.group(1).charAt(0),
                true), start);
        finishTag(end.end(), end.group(2).isEmpty() ? ' ' : end.group(2).charAt(0), true);
    }

    /** Tokens of one {@code {{ ... }}} or {@code {% ... %}} tag, up to and including its end marker. */
    private void lexTag(int tag, char type, char sign) {
        boolean block = type == '%';
        tokens.add(new Token(block ? Kind.BLOCK_BEGIN : Kind.VAR_BEGIN, block ? "{%" : "{{", lineAt(tag), colAt(tag)));
        int i = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
        String close = block ? "%}" : "}}";
        var brackets = new ArrayDeque<Character>();
        while (true) {
            i = skipWhitespace(i);
            if (i >= src.length()) {
                throw error("unexpected end of template, expected '" + close + "'", tag);
            }
            if (brackets.isEmpty()) {
                char c = src.charAt(i);
                boolean signed = (c == '-' || (block && c == '+')) && src.startsWith(close, i + 1);
                if (signed || src.startsWith(close, i)) {
                    tokens.add(new Token(block ? Kind.BLOCK_END : Kind.VAR_END, close, lineAt(i), colAt(i)));
                    finishTag(i + close.length() + (signed ? 1 : 0), signed ? c : ' ', block);
                    return;
                }
            }
            i = lexToken(i, brackets);
        }
    }

    /** Applies the right-hand whitespace rules of a tag ending just before {@code after}. */
    private void finishTag(int after, char sign, boolean trimmable) {
        int next = after;
        if (sign == '-') {
            next = skipWhitespace(after);
        } else if (sign != '+' && trimmable && options.trimBlocks() && after < src.length()
                && src.charAt(after) == '\n') {
            next = after + 1;
        }
        lineStarting = next > 0 && src.charAt(next - 1) == '\n';
        pos = next;
    }

    private int lexToken(int i, ArrayDeque<Character> brackets) {
        char c = src.charAt(i);
        int line = lineAt(i);
        int col = colAt(i);
        if (c == '\'' || c == '"') {
            int j = i + 1;
            var sb = new StringBuilder();
            while (j < src.length() && src.charAt(j) != c) {
                if (src.charAt(j) == '\\' && j + 1 < src.length()) {
                    j = unescape(j, sb);
                } else {
                    sb.append(src.charAt(j++));
                }
            }
            if (j >= src.length()) {
                throw error("unterminated string literal", i);
            }
            tokens.add(new Token(Kind.STRING, sb.toString(), line, col));
            return j + 1;
        }
        boolean afterDot = !tokens.isEmpty() && tokens.getLast().isOp(".");
        if (Character.isDigit(c)) {
            int j = digits(i);
            boolean isFloat = false;
            if (!afterDot && j + 1 < src.length() && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
                j = digits(j + 1);
                isFloat = true;
            }
            if (!afterDot && j < src.length() && (src.charAt(j) == 'e' || src.charAt(j) == 'E')) {
                int k = j + 1;
                if (k < src.length() && (src.charAt(k) == '+' || src.charAt(k) == '-')) {
                    k++;
                }
                if (k < src.length() && Character.isDigit(src.charAt(k))) {
                    j = digits(k);
                    isFloat = true;
                }
            }
            tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(i, j).replace("_", ""), line, col));
            return j;
        }
        if (Character.isLetter(c) || c == '_') {
            int j = i + 1;
            while (j < src.length() && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) {
                j++;
            }
            tokens.add(new Token(Kind.NAME, src.substring(i, j), line, col));
            return j;
        }
        for (String op : OPERATORS) {
            if (src.startsWith(op, i)) {
                trackBracket(op.charAt(0), brackets, i);
                tokens.add(new Token(Kind.OP, op, line, col));
                return i + op.length();
            }
        }
        throw error("unexpected character '" + c + "'", i);
    }

    private void trackBracket(char c, ArrayDeque<Character> brackets, int at) {
        switch (c) {
            case '(' -> brackets.push(')');
            case '[' -> brackets.push(']');
            case '{' -> brackets.push('}');
            case ')', ']', '}' -> {
                if (brackets.isEmpty() || brackets.pop() != c) {
                    throw error("unexpected '" + c + "'", at);
                }
            }
            default -> { }
        }
    }

    private int digits(int i) {
        int j = i;
        while (j < src.length() && (Character.isDigit(src.charAt(j))
                || (src.charAt(j) == '_' && j + 1 < src.length() && Character.isDigit(src.charAt(j + 1))))) {
            j++;
        }
        return j;
    }

    /** Decodes one backslash escape as Python's {@code unicode-escape} codec does; unknown escapes stay verbatim. */
    private int unescape(int i, StringBuilder sb) {
        char e = src.charAt(i + 1);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000b');
            case 'a' -> sb.append('\u0007');
            case '\\', '\'', '"' -> sb.append(e);
            case '\n' -> { }
            case 'x', 'u', 'U' -> {
                int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (i + 2 + n > src.length()) {
                    throw error("truncated \\" + e + " escape", i);
                }
                try {
                    sb.appendCodePoint(Integer.parseInt(src.substring(i + 2, i + 2 + n), 16));
                } catch (IllegalArgumentException ex) {
                    throw error("invalid \\" + e + " escape", i);
                }
                return i + 2 + n;
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    int j = i + 1;
                    while (j < src.length() && j < i + 4 && src.charAt(j) >= '0' && src.charAt(j) <= '7') {
                        j++;
                    }
                    sb.append((char) Integer.parseInt(src.substring(i + 1, j), 8));
                    return j;
                }
                sb.append('\\').append(e);
            }
        }
        return i + 2;
    }

    private int skipWhitespace(int i) {
        while (i < src.length() && PyStrings.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private int lineAt(int offset) {
        int i = java.util.Arrays.binarySearch(lineStarts, offset);
        return i >= 0 ? i + 1 : -i - 1;
    }

    private int colAt(int offset) {
        return offset - src.lastIndexOf('\n', offset - 1);
    }

    private TemplateException error(String message, int offset) {
        return new TemplateException(TemplateException.Kind.SYNTAX, message, lineAt(offset), colAt(offset));
    }
}
