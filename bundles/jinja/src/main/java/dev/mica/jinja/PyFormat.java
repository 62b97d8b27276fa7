package dev.mica.jinja;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's three formatting mini-languages that templates use: {@code "%s" % x} (and the {@code format} filter),
 * {@code "{}".format(x)} and {@code strftime}.
 */
final class PyFormat {

    private PyFormat() {
    }

    // ---------------------------------------------------------------- printf-style: "%s: %d" % (a, b)

    static String percent(String fmt, Object args) {
        List<Object> values = args instanceof PyValues.Tuple t ? t.items() : List.of(args);
        Map<Object, Object> mapping = PyValues.asMap(args);
        var sb = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i >= fmt.length()) {
                throw TemplateException.runtime("incomplete format");
            }
            Object value = null;
            boolean fromMapping = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (mapping == null || close < 0) {
                    throw TemplateException.runtime("format requires a mapping");
                }
                value = PyValues.getItem(mapping, fmt.substring(i + 1, close));
                fromMapping = true;
                i = close + 1;
            }
            int specStart = i;
            while (i < fmt.length() && "-+ #0123456789.".indexOf(fmt.charAt(i)) >= 0) {
                i++;
            }
            if (i >= fmt.length()) {
                throw TemplateException.runtime("incomplete format");
            }
            char type = fmt.charAt(i++);
            if (type == '%') {
                sb.append('%');
                continue;
            }
            if (!fromMapping) {
                if (next >= values.size()) {
                    throw TemplateException.runtime("not enough arguments for format string");
                }
                value = values.get(next++);
            }
            String flags = fmt.substring(specStart, i - 1);
            sb.append(printf(flags, type, value));
        }
        if (mapping == null && next < values.size()) {
            throw TemplateException.runtime("not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    private static String printf(String spec, char type, Object value) {
        int p = 0;
        var flags = new StringBuilder();
        while (p < spec.length() && "-+ #0".indexOf(spec.charAt(p)) >= 0) {
            flags.append(spec.charAt(p++));
        }
        int dot = spec.indexOf('.', p);
        String width = dot < 0 ? spec.substring(p) : spec.substring(p, dot);
        int precision = dot < 0 ? -1 : dot + 1 < spec.length() ? Integer.parseInt(spec.substring(dot + 1)) : 0;
        String body = switch (type) {
            case 's' -> precisionCut(PyValues.str(value), precision);
            case 'r', 'a' -> precisionCut(PyValues.repr(value), precision);
            case 'd', 'i', 'u' -> signed(Long.toString(PyValues.toLong(number(value))), flags);
            case 'f', 'F', 'e', 'E', 'g', 'G' ->
                    signed(formatFloat(PyValues.toDouble(number(value)), precision < 0 ? 6 : precision, type), flags);
            case 'x' -> Long.toHexString(PyValues.toLong(number(value)));
            case 'X' -> Long.toHexString(PyValues.toLong(number(value))).toUpperCase(Locale.ROOT);
            case 'o' -> Long.toOctalString(PyValues.toLong(number(value)));
            case 'c' -> value instanceof String s ? s : Character.toString((int) PyValues.toLong(value));
            default -> throw TemplateException.runtime("unsupported format character '" + type + "'");
        };
        char align = flags.indexOf("-") >= 0 ? '<' : '>';
        char fill = flags.indexOf("0") >= 0 && align == '>' && "sr".indexOf(type) < 0 ? '0' : ' ';
        return pad(body, width.isEmpty() ? 0 : Integer.parseInt(width), align, fill);
    }

    private static Object number(Object v) {
        if (!PyValues.isNumber(v)) {
            throw TemplateException.runtime("a number is required, not " + PyValues.typeName(v));
        }
        return v;
    }

    private static String signed(String body, CharSequence flags) {
        if (body.startsWith("-")) {
            return body;
        }
        String f = flags.toString();
        return f.contains("+") ? "+" + body : f.contains(" ") ? " " + body : body;
    }

    private static String precisionCut(String s, int precision) {
        return precision >= 0 && precision < s.length() ? s.substring(0, precision) : s;
    }

    /** Python's float formatting: exact binary value, rounded half-even, as Python's correctly rounded repr does. */
    static String formatFloat(double d, int precision, char type) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String s = Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
            return Character.isUpperCase(type) ? s.toUpperCase(Locale.ROOT) : s;
        }
        var exact = new BigDecimal(d);
        return switch (Character.toLowerCase(type)) {
            case 'f' -> exact.setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
            case 'e' -> scientific(exact, precision, type == 'E');
            case '%' -> exact.movePointRight(2).setScale(precision, RoundingMode.HALF_EVEN).toPlainString() + "%";
            default -> {
                // %g: scientific when the exponent is < -4 or >= precision, trailing zeros removed.
                int p = Math.max(precision, 1);
                if (d == 0) {
                    yield "0";
                }
                var rounded = exact.round(new java.math.MathContext(p, RoundingMode.HALF_EVEN));
                int exp = rounded.precision() - rounded.scale() - 1;
                String s = exp < -4 || exp >= p ? scientific(exact, p - 1, type == 'G')
                        : rounded.setScale(Math.max(0, p - 1 - exp), RoundingMode.HALF_EVEN).toPlainString();
                yield stripZeros(s);
            }
        };
    }

    private static String scientific(BigDecimal exact, int precision, boolean upper) {
        if (exact.signum() == 0) {
            return "0" + (precision > 0 ? "." + "0".repeat(precision) : "") + (upper ? "E+00" : "e+00");
        }
        var rounded = exact.round(new java.math.MathContext(precision + 1, RoundingMode.HALF_EVEN));
        int exp = rounded.precision() - rounded.scale() - 1;
        String digits = rounded.unscaledValue().abs().toString();
        digits = (digits + "0".repeat(precision + 1)).substring(0, precision + 1);
        String mantissa = digits.charAt(0) + (precision > 0 ? "." + digits.substring(1) : "");
        return (rounded.signum() < 0 ? "-" : "") + mantissa + (upper ? "E" : "e") + (exp < 0 ? "-" : "+")
                + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    private static String stripZeros(String s) {
        int e = Math.max(s.indexOf('e'), s.indexOf('E'));
        String mantissa = e < 0 ? s : s.substring(0, e);
        if (mantissa.contains(".")) {
            mantissa = PyStrings.rstrip(PyStrings.rstrip(mantissa, "0"), ".");
        }
        return e < 0 ? mantissa : mantissa + s.substring(e);
    }

    private static String pad(String s, int width, char align, char fill) {
        int len = (int) PyStrings.length(s);
        if (width <= len) {
            return s;
        }
        int pad = width - len;
        if (fill == '0' && align == '>' && !s.isEmpty() && "+- ".indexOf(s.charAt(0)) >= 0) {
            return s.charAt(0) + "0".repeat(pad) + s.substring(1);
        }
        String f = String.valueOf(fill);
        return switch (align) {
            case '<' -> s + f.repeat(pad);
            case '^' -> f.repeat(pad / 2) + s + f.repeat(pad - pad / 2);
            default -> f.repeat(pad) + s;
        };
    }

    // ---------------------------------------------------------------- str.format: "{0} {name!r:>10}".format(...)

    static String format(String fmt, List<Object> args, Map<String, Object> kwargs) {
        var sb = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if (c == '{' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '{' || c == '}' && i + 1 < fmt.length()
                    && fmt.charAt(i + 1) == '}') {
                sb.append(c);
                i += 2;
                continue;
            }
            if (c == '}') {
                throw TemplateException.runtime("Single '}' encountered in format string");
            }
            if (c != '{') {
                sb.append(c);
                i++;
                continue;
            }
            int close = fmt.indexOf('}', i);
            if (close < 0) {
                throw TemplateException.runtime("Single '{' encountered in format string");
            }
            String field = fmt.substring(i + 1, close);
            i = close + 1;
            String spec = "";
            int colon = field.indexOf(':');
            if (colon >= 0) {
                spec = field.substring(colon + 1);
                field = field.substring(0, colon);
            }
            char conversion = 0;
            int bang = field.indexOf('!');
            if (bang >= 0) {
                conversion = bang + 1 < field.length() ? field.charAt(bang + 1) : 0;
                field = field.substring(0, bang);
            }
            Object value = resolveField(field, args, kwargs, auto);
            if (field.isEmpty() || field.charAt(0) == '.' || field.charAt(0) == '[') {
                auto++;
            }
            if (conversion == 'r' || conversion == 'a') {
                value = PyValues.repr(value);
            } else if (conversion == 's') {
                value = PyValues.str(value);
            }
            sb.append(formatSpec(value, spec));
        }
        return sb.toString();
    }

    private static Object resolveField(String field, List<Object> args, Map<String, Object> kwargs, int auto) {
        int end = 0;
        while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') {
            end++;
        }
        String head = field.substring(0, end);
        Object value;
        if (head.isEmpty() || Character.isDigit(head.charAt(0))) {
            int index = head.isEmpty() ? auto : Integer.parseInt(head);
            if (index >= args.size()) {
                throw TemplateException.runtime("Replacement index " + index + " out of range for positional args");
            }
            value = args.get(index);
        } else {
            if (!kwargs.containsKey(head)) {
                throw TemplateException.runtime("KeyError: '" + head + "'");
            }
            value = kwargs.get(head);
        }
        String rest = field.substring(end);
        while (!rest.isEmpty()) {
            if (rest.charAt(0) == '.') {
                int stop = 1;
                while (stop < rest.length() && rest.charAt(stop) != '.' && rest.charAt(stop) != '[') {
                    stop++;
                }
                value = PyValues.getAttr(value, rest.substring(1, stop));
                rest = rest.substring(stop);
            } else {
                int stop = rest.indexOf(']');
                String key = rest.substring(1, stop);
                value = PyValues.getItem(value, key.chars().allMatch(Character::isDigit) && !key.isEmpty()
                        ? (Object) Long.parseLong(key) : key);
                rest = rest.substring(stop + 1);
            }
        }
        return value;
    }

    /** The format-spec mini-language: {@code [[fill]align][sign][#][0][width][,][.precision][type]}. */
    static String formatSpec(Object value, String spec) {
        if (spec.isEmpty()) {
            return PyValues.str(value);
        }
        int i = 0;
        char fill = ' ';
        char align = 0;
        if (spec.length() >= 2 && "<>^=".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if ("<>^=".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        var flags = new StringBuilder();
        while (i < spec.length() && "+- #".indexOf(spec.charAt(i)) >= 0) {
            flags.append(spec.charAt(i++));
        }
        if (i < spec.length() && spec.charAt(i) == '0') {
            fill = '0';
            align = align == 0 ? '=' : align;
            i++;
        }
        int w = i;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
            i++;
        }
        int width = i > w ? Integer.parseInt(spec.substring(w, i)) : 0;
        boolean grouping = i < spec.length() && spec.charAt(i) == ',';
        if (grouping) {
            i++;
        }
        int precision = -1;
        if (i < spec.length() && spec.charAt(i) == '.') {
            int p = ++i;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
                i++;
            }
            precision = Integer.parseInt(spec.substring(p, i));
        }
        char type = i < spec.length() ? spec.charAt(i) : 0;
        String body;
        boolean numeric = PyValues.isNumber(value) && !(value instanceof Boolean && type == 0);
        if (type == 's' || !numeric) {
            if (type != 0 && type != 's') {
                throw TemplateException.runtime("Unknown format code '" + type + "' for object of type '"
                        + PyValues.typeName(value) + "'");
            }
            body = precisionCut(PyValues.str(value), precision);
        } else if (type == 'd' || type == 0 && PyValues.isIntegral(value)) {
            body = Long.toString(PyValues.toLong(value));
            if (grouping) {
                body = String.format(Locale.ROOT, "%,d", PyValues.toLong(value));
            }
        } else if (type == 'x' || type == 'X' || type == 'b' || type == 'o') {
            long v = PyValues.toLong(value);
            body = type == 'b' ? Long.toBinaryString(v) : type == 'o' ? Long.toOctalString(v) : Long.toHexString(v);
            body = type == 'X' ? body.toUpperCase(Locale.ROOT) : body;
        } else if (type == 0) {
            body = precision < 0 ? PyValues.floatRepr(PyValues.toDouble(value))
                    : formatFloat(PyValues.toDouble(value), precision, 'g');
        } else {
            body = formatFloat(PyValues.toDouble(value), precision < 0 ? 6 : precision, type);
        }
        if (numeric) {
            body = signed(body, flags);
        }
        if (align == '=' && numeric) {
            return pad(body, width, '>', fill == ' ' ? ' ' : fill);
        }
        return pad(body, width, align == 0 ? (numeric ? '>' : '<') : align == '=' ? '>' : align, fill == '0'
                && !numeric ? ' ' : fill);
    }

    // ---------------------------------------------------------------- strftime

    /** C/Python {@code strftime} codes, plus glibc's {@code %-d} style "no padding" flag. */
    static String strftime(String fmt, ZonedDateTime t) {
        var sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char code = fmt.charAt(++i);
            boolean noPad = code == '-' && i + 1 < fmt.length();
            if (noPad) {
                code = fmt.charAt(++i);
            }
            String v = switch (code) {
                case 'Y' -> Integer.toString(t.getYear());
                case 'y' -> two(t.getYear() % 100, noPad);
                case 'm' -> two(t.getMonthValue(), noPad);
                case 'd' -> two(t.getDayOfMonth(), noPad);
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'H' -> two(t.getHour(), noPad);
                case 'I' -> two((t.getHour() + 11) % 12 + 1, noPad);
                case 'M' -> two(t.getMinute(), noPad);
                case 'S' -> two(t.getSecond(), noPad);
                case 'f' -> String.format("%06d", t.getNano() / 1000);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'j' -> noPad ? Integer.toString(t.getDayOfYear()) : String.format("%03d", t.getDayOfYear());
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
                case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
                case 'z' -> t.getOffset().getTotalSeconds() == 0 ? "+0000" : t.getOffset().getId().replace(":", "");
                case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'F' -> strftime("%Y-%m-%d", t);
                case 'T' -> strftime("%H:%M:%S", t);
                case 'D' -> strftime("%m/%d/%y", t);
                case 'c' -> strftime("%a %b %e %H:%M:%S %Y", t);
                case 'x' -> strftime("%m/%d/%y", t);
                case 'X' -> strftime("%H:%M:%S", t);
                case '%' -> "%";
                default -> "%" + (noPad ? "-" : "") + code;
            };
            sb.append(v);
        }
        return sb.toString();
    }

    private static String two(int v, boolean noPad) {
        return noPad || v >= 10 ? Integer.toString(v) : "0" + v;
    }
}
