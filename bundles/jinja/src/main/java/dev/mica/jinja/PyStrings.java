package dev.mica.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} semantics on Java strings. Python indexes strings by code point while Java uses UTF-16 units;
 * the difference only shows with characters outside the BMP (emoji), which chat content does contain, so indexing,
 * slicing and length go through code points.
 */
final class PyStrings {

    private PyStrings() {
    }

    /** Python's {@code str.isspace} for one character (Java's {@code isWhitespace} misses the no-break spaces). */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    /** {@code str.split(sep, maxsplit)}; a null separator splits on whitespace runs and drops empty parts. */
    static List<Object> split(String s, String sep, long maxSplit) {
        var out = new ArrayList<Object>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    return out;
                }
                if (maxSplit >= 0 && out.size() >= maxSplit) {
                    out.add(s.substring(i));
                    return out;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw TemplateException.runtime("empty separator");
        }
        int start = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, start);
            if (at < 0) {
                break;
            }
            out.add(s.substring(start, at));
            start = at + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    /** {@code str.rsplit(sep, maxsplit)}: like split, but counts {@code maxsplit} from the right. */
    static List<Object> rsplit(String s, String sep, long maxSplit) {
        if (maxSplit < 0) {
            return split(s, sep, -1);
        }
        var out = new ArrayList<Object>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j <= 0) {
                    break;
                }
                if (out.size() >= maxSplit) {
                    out.add(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(s.substring(i, j));
                j = i;
            }
        } else {
            if (sep.isEmpty()) {
                throw TemplateException.runtime("empty separator");
            }
            int end = s.length();
            while (out.size() < maxSplit) {
                int at = s.lastIndexOf(sep, end - sep.length());
                if (at < 0) {
                    break;
                }
                out.add(s.substring(at + sep.length(), end));
                end = at;
            }
            out.add(s.substring(0, end));
        }
        return out.reversed();
    }

    static List<Object> splitLines(String s, boolean keepEnds) {
        var out = new ArrayList<Object>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            boolean crlf = c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n';
            if (c == '\n' || c == '\r' || c == '\u000b' || c == '\f' || c == '\u001c' || c == '\u001d' || c == '\u001e'
                    || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                int end = i + (crlf ? 2 : 1);
                out.add(s.substring(start, keepEnds ? end : i));
                start = end;
                i = end;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python's {@code str.title()}: a letter is upper-cased when it follows a non-letter. */
    static String title(String s) {
        var sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            sb.appendCodePoint(prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            prevCased = Character.isLetter(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    /** Jinja's {@code title} filter: words start after whitespace, {@code -}, or an opening bracket. */
    static String jinjaTitle(String s) {
        var sb = new StringBuilder(s.length());
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean separator = isSpace((char) cp) || "-({[<".indexOf(cp) >= 0;
            sb.append(separator ? Character.toString(cp)
                    : wordStart ? upper(Character.toString(cp)) : lower(Character.toString(cp)));
            wordStart = separator;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = Character.charCount(s.codePointAt(0));
        return upper(s.substring(0, first)) + lower(s.substring(first));
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** {@code str.replace(old, new, count)}; an empty {@code old} inserts between characters as Python does. */
    static String replace(String s, String old, String rep, long count) {
        if (count < 0 && !old.isEmpty()) {
            return s.replace(old, rep);
        }
        var sb = new StringBuilder();
        int n = 0;
        int i = 0;
        if (old.isEmpty()) {
            for (int k = 0; k < s.length(); ) {
                if (count < 0 || n < count) {
                    sb.append(rep);
                    n++;
                }
                int cp = s.codePointAt(k);
                sb.appendCodePoint(cp);
                k += Character.charCount(cp);
            }
            if (count < 0 || n < count) {
                sb.append(rep);
            }
            return sb.toString();
        }
        while (n < count) {
            int at = s.indexOf(old, i);
            if (at < 0) {
                break;
            }
            sb.append(s, i, at).append(rep);
            i = at + old.length();
            n++;
        }
        return sb.append(s.substring(i)).toString();
    }

    static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return length(s) + 1;
        }
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    static boolean all(String s, java.util.function.IntPredicate test) {
        return !s.isEmpty() && s.codePoints().allMatch(test);
    }

    // ---- code point indexing ----

    static boolean bmpOnly(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static long length(String s) {
        return bmpOnly(s) ? s.length() : s.codePointCount(0, s.length());
    }

    /** Character (as a string) at a code point index already bounds-checked by the caller. */
    static String charAt(String s, int index) {
        if (bmpOnly(s)) {
            return String.valueOf(s.charAt(index));
        }
        int at = s.offsetByCodePoints(0, index);
        return Character.toString(s.codePointAt(at));
    }

    /** Converts a UTF-16 index found by {@code indexOf} into Python's code point index. */
    static long pyIndex(String s, int utf16Index) {
        return utf16Index < 0 ? -1 : s.codePointCount(0, utf16Index);
    }

    static List<Object> chars(String s) {
        var out = new ArrayList<Object>(s.length());
        s.codePoints().forEach(cp -> out.add(Character.toString(cp)));
        return out;
    }

    /** Python's {@code repr(str)}: single quotes unless the text contains one and no double quote. */
    static String repr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        var sb = new StringBuilder(s.length() + 2).append(q);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (cp == q) {
                        sb.append('\\').appendCodePoint(cp);
                    } else if (cp < 0x20 || cp == 0x7f) {
                        sb.append(String.format("\\x%02x", cp));
                    } else if (!isPrintable(cp)) {
                        sb.append(cp <= 0xff ? String.format("\\x%02x", cp)
                                : cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp));
                    } else {
                        sb.appendCodePoint(cp);
                    }
                }
            }
        }
        return sb.append(q).toString();
    }

    private static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        int type = Character.getType(cp);
        return switch (type) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }
}
