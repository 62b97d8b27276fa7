package dev.mica.jinja;

import dev.mica.jinja.PyValues.Tuple;
import dev.mica.jinja.PyValues.Undefined;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Jinja's builtin filters ({@code value|name(args)}) and tests ({@code value is name(args)}), with the argument names
 * and defaults of Jinja 3.1, except {@code tojson}, which is transformers' override (plain {@code json.dumps}: no HTML
 * escaping, {@code ensure_ascii=False}, exposes indent/separators/sort_keys), because chat templates are written
 * against that.
 */
final class Filters {

    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);

    private Filters() {
    }

    static Object apply(Interpreter in, String name, Object v, Args a) {
        return switch (name) {
            case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(PyValues.toLong(v));
            case "attr" -> PyValues.getAttr(v, a.string(0, "name", ""));
            case "batch" -> batch(in, v, a);
            case "capitalize" -> PyStrings.capitalize(PyValues.str(v));
            case "center" -> Methods.call(in, PyValues.str(v), "center", List.of(a.get(0, "width", 80L)), Map.of());
            case "count", "length" -> PyValues.length(v);
            case "d", "default" -> v instanceof Undefined || (a.bool(1, "boolean", false) && !PyValues.truthy(v))
                    ? a.get(0, "default_value", "") : v;
            case "dictsort" -> dictsort(in, v, a);
            case "e", "escape", "forceescape" -> escape(PyValues.str(v));
            case "first" -> {
                List<Object> items = in.iterate(v);
                yield items.isEmpty() ? new Undefined("first") : items.getFirst();
            }
            case "last" -> {
                List<Object> items = in.iterate(v);
                yield items.isEmpty() ? new Undefined("last") : items.getLast();
            }
            case "float", "int" -> {
                if (v instanceof Undefined u) {
                    throw u.error();
                }
                yield name.equals("int") ? toInt(v, a.get(0, "default", 0L)) : toFloat(v, a.get(0, "default", 0.0));
            }
            case "format" -> in.checked(PyFormat.percent(PyValues.str(v), a.keywords().isEmpty()
                    ? new Tuple(a.positional()) : a.keywords()));
            case "groupby" -> groupby(in, v, a);
            case "indent" -> {
                if (!(v instanceof String s)) {
                    // Jinja appends "\n" to the value itself, so anything but a string is a TypeError there.
                    throw TemplateException.runtime("unsupported operand type(s) for +=: '" + PyValues.typeName(v)
                            + "' and 'str'");
                }
                yield indent(in, s, a);
            }
            case "items" -> v instanceof Undefined ? List.of() : Methods.call(in, requireMap(v, name), "items",
                    List.of(), Map.of());
            case "join" -> join(in, v, a);
            // keys and values are not Jinja builtins, but minja and llama.cpp offer them and some templates use them.
            case "keys", "values" -> Methods.call(in, requireMap(v, name), name, List.of(), Map.of());
            case "list" -> new ArrayList<>(in.iterate(v));
            case "lower" -> PyStrings.lower(PyValues.str(v));
            case "map" -> map(in, v, a);
            case "max", "min" -> minMax(in, v, a, name.equals("max"));
            case "pprint" -> PyValues.repr(v);
            case "reject", "select" -> select(in, v, a, null, name.equals("select"));
            case "rejectattr", "selectattr" -> select(in, v, a, a.string(0, "attribute", null),
                    name.equals("selectattr"));
            case "replace" -> {
                Object count = a.get(2, "count", null);
                yield Methods.call(in, PyValues.str(v), "replace", List.of(a.required(0, "old"), a.required(1, "new"),
                        count == null ? -1L : count), Map.of());
            }
            case "reverse" -> v instanceof String s ? new StringBuilder(s).reverse().toString()
                    : new ArrayList<>(in.iterate(v)).reversed();
            case "round" -> round(v, a);
            case "safe", "string" -> PyValues.str(v);
            case "sort" -> sort(in, v, a);
            case "sum" -> {
                Object total = a.get(1, "start", 0L);
                String attribute = a.string(0, "attribute", null);
                for (Object item : in.iterate(v)) {
                    total = PyValues.add(total, attribute == null ? item : attribute(item, attribute));
                }
                yield total;
            }
            case "title" -> PyStrings.jinjaTitle(PyValues.str(v));
            case "tojson" -> tojson(in, v, a);
            case "trim", "strip" -> PyStrings.strip(PyValues.str(v), a.string(0, "chars", null));
            case "unique" -> unique(in, v, a);
            case "upper" -> PyStrings.upper(PyValues.str(v));
            case "wordcount" -> WORD.matcher(PyValues.str(v)).results().count();
            default -> throw TemplateException.runtime("no filter named '" + name + "'");
        };
    }

    static boolean test(Interpreter in, String name, Object v, Args a) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> PyValues.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "iterable" -> v instanceof String || v instanceof Map || PyValues.isSequence(v)
                    || v instanceof Undefined;
            case "sequence" -> v instanceof String || v instanceof Map || PyValues.isSequence(v);
            case "callable" -> v instanceof PyValues.Callable;
            case "escaped" -> false;
            case "sameas" -> v == a.get(0, "other", null) || v instanceof Boolean && v.equals(a.get(0, "other", null));
            case "eq", "equalto", "==" -> PyValues.eq(v, a.required(0, "b"));
            case "ne", "!=" -> !PyValues.eq(v, a.required(0, "b"));
            case "lt", "lessthan", "<" -> PyValues.compare(v, a.required(0, "b"), "<") < 0;
            case "le", "<=" -> PyValues.compare(v, a.required(0, "b"), "<=") <= 0;
            case "gt", "greaterthan", ">" -> PyValues.compare(v, a.required(0, "b"), ">") > 0;
            case "ge", ">=" -> PyValues.compare(v, a.required(0, "b"), ">=") >= 0;
            case "in" -> PyValues.contains(a.required(0, "seq"), v);
            case "even" -> PyValues.eq(PyValues.mod(v, 2L), 0L);
            case "odd" -> PyValues.eq(PyValues.mod(v, 2L), 1L);
            case "divisibleby" -> PyValues.eq(PyValues.mod(v, a.required(0, "num")), 0L);
            case "lower", "upper" -> (Boolean) Methods.call(in, PyValues.str(v), "is" + name, List.of(), Map.of());
            default -> throw TemplateException.runtime("no test named '" + name + "'");
        };
    }

    // ---------------------------------------------------------------- helpers

    private static Map<Object, Object> requireMap(Object v, String filter) {
        Map<Object, Object> m = PyValues.asMap(v);
        if (m == null) {
            throw TemplateException.runtime(filter + " filter expects a mapping, got " + PyValues.typeName(v));
        }
        return m;
    }

    /** Jinja's attribute getter: dotted paths and integer path parts index into lists. */
    static Object attribute(Object item, String path) {
        Object v = item;
        for (String part : path.split("\\.")) {
            v = !part.isEmpty() && part.chars().allMatch(Character::isDigit)
                    ? PyValues.getItem(v, Long.parseLong(part)) : PyValues.getItem(v, part);
        }
        return v;
    }

    /** Sort key that ignores case unless asked not to, as Jinja's {@code ignore_case}. */
    private static Object caseKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? PyStrings.lower(s) : v;
    }

    private static Comparator<Object> order(boolean caseSensitive, String attribute) {
        return (x, y) -> {
            Object kx = caseKey(attribute == null ? x : attribute(x, attribute), caseSensitive);
            Object ky = caseKey(attribute == null ? y : attribute(y, attribute), caseSensitive);
            return PyValues.compare(kx, ky, "<");
        };
    }

    private static Object batch(Interpreter in, Object v, Args a) {
        long size = a.integer(0, "linecount", 1);
        if (size <= 0) {
            throw TemplateException.runtime("batch size must be positive");
        }
        boolean fill = a.has(1, "fill_with");
        Object filler = a.get(1, "fill_with", null);
        var out = new ArrayList<Object>();
        List<Object> current = new ArrayList<>();
        for (Object item : in.iterate(v)) {
            current.add(item);
            if (current.size() == size) {
                out.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            while (fill && current.size() < size) {
                current.add(filler);
            }
            out.add(current);
        }
        return out;
    }

    private static Object dictsort(Interpreter in, Object v, Args a) {
        boolean caseSensitive = a.bool(0, "case_sensitive", false);
        String by = a.string(1, "by", "key");
        int pos = switch (by) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw TemplateException.runtime("You can only sort by either \"key\" or \"value\"");
        };
        @SuppressWarnings("unchecked")
        var items = (List<Object>) Methods.call(in, requireMap(v, "dictsort"), "items", List.of(), Map.of());
        Comparator<Object> byPart = (x, y) -> PyValues.compare(caseKey(((Tuple) x).items().get(pos), caseSensitive),
                caseKey(((Tuple) y).items().get(pos), caseSensitive), "<");
        // Python's sorted(reverse=True) is stable: equal items keep their order, so reverse the comparator, not the list.
        items.sort(a.bool(2, "reverse", false) ? byPart.reversed() : byPart);
        return items;
    }

    static String escape(String s) {
        var sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Object toFloat(Object v, Object fallback) {
        if (PyValues.isNumber(v)) {
            return PyValues.toDouble(v);
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(PyStrings.strip(s, null).replace("_", ""));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    private static Object toInt(Object v, Object fallback) {
        if (PyValues.isNumber(v)) {
            return PyValues.toLong(v);
        }
        if (v instanceof String s) {
            String t = PyStrings.strip(s, null).replace("_", "");
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                // Jinja falls back to int(float(value)), so "3.7" becomes 3.
                Object f = toFloat(t, null);
                return f instanceof Double d && !d.isNaN() && !d.isInfinite() ? (Object) (long) (double) d : fallback;
            }
        }
        return fallback;
    }

    private static Object groupby(Interpreter in, Object v, Args a) {
        String attribute = PyValues.str(a.required(0, "attribute"));
        var items = new ArrayList<>(in.iterate(v));
        items.sort(order(a.bool(2, "case_sensitive", false), attribute));
        var out = new ArrayList<Object>();
        for (Object item : items) {
            Object key = attribute(item, attribute);
            if (out.isEmpty() || !PyValues.eq(((Tuple) out.getLast()).items().get(0), key)) {
                out.add(new Tuple(List.of(key == null ? "None" : key, new ArrayList<>())));
            }
            @SuppressWarnings("unchecked")
            var group = (List<Object>) ((Tuple) out.getLast()).items().get(1);
            group.add(item);
        }
        return out;
    }

    /** Jinja 3's indent: appends a newline before splitting, so a trailing newline survives. */
    private static String indent(Interpreter in, String s, Args a) {
        Object width = a.get(0, "width", 4L);
        String pad = width instanceof String w ? w : " ".repeat((int) Math.max(0, PyValues.toLong(width)));
        boolean first = a.bool(1, "first", false);
        boolean blank = a.bool(2, "blank", false);
        List<Object> lines = PyStrings.splitLines(s + "\n", false);
        in.checkSize(s.length() + (long) pad.length() * lines.size());
        var sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String line = (String) lines.get(i);
            if (i > 0) {
                sb.append('\n');
                if (blank || !line.isEmpty()) {
                    sb.append(pad);
                }
            }
            sb.append(line);
        }
        return first ? pad + sb : sb.toString();
    }

    private static String join(Interpreter in, Object v, Args a) {
        String sep = PyValues.str(a.get(0, "d", ""));
        String attribute = a.string(1, "attribute", null);
        var sb = new StringBuilder();
        boolean firstItem = true;
        for (Object item : in.iterate(v)) {
            if (!firstItem) {
                sb.append(sep);
            }
            firstItem = false;
            sb.append(PyValues.str(attribute == null ? item : attribute(item, attribute)));
            in.checkSize(sb.length());
        }
        return sb.toString();
    }

    /** Like Jinja's map, which skips a falsy input (None included) instead of failing on it. */
    private static Object map(Interpreter in, Object v, Args a) {
        var out = new ArrayList<Object>();
        if (!PyValues.truthy(v)) {
            return out;
        }
        if (a.positional().isEmpty() && a.keywords().containsKey("attribute")) {
            String attribute = a.string(0, "attribute", "");
            boolean hasDefault = a.keywords().containsKey("default");
            for (Object item : in.iterate(v)) {
                Object value = attribute(item, attribute);
                out.add(hasDefault && value instanceof Undefined ? a.keywords().get("default") : value);
            }
            return out;
        }
        String filter = a.string(0, "filter", null);
        if (filter == null) {
            throw TemplateException.runtime("map requires a filter name or attribute=");
        }
        var filterArgs = new Args(filter, a.rest(1), a.keywords());
        for (Object item : in.iterate(v)) {
            in.tick(1);
            out.add(apply(in, filter, item, filterArgs));
        }
        return out;
    }

    private static Object minMax(Interpreter in, Object v, Args a, boolean max) {
        List<Object> items = in.iterate(v);
        if (items.isEmpty()) {
            return new Undefined(max ? "max" : "min");
        }
        var cmp = order(a.bool(0, "case_sensitive", false), a.string(1, "attribute", null));
        Object best = items.getFirst();
        for (Object item : items) {
            int c = cmp.compare(item, best);
            if (max ? c > 0 : c < 0) {
                best = item;
            }
        }
        return best;
    }

    /**
     * select/reject and selectattr/rejectattr: keep items for which the named test (default: truthy) holds. As in
     * Jinja, a falsy input (None included) selects nothing rather than failing.
     */
    private static Object select(Interpreter in, Object v, Args a, String attribute, boolean keep) {
        if (!PyValues.truthy(v)) {
            return new ArrayList<>();
        }
        int testAt = attribute == null ? 0 : 1;
        String test = a.has(testAt, "test") ? PyValues.str(a.get(testAt, "test", null)) : null;
        var testArgs = new Args(test == null ? "" : test, a.rest(testAt + 1), Map.of());
        var out = new ArrayList<Object>();
        for (Object item : in.iterate(v)) {
            in.tick(1);
            Object subject = attribute == null ? item : attribute(item, attribute);
            boolean ok = test == null ? PyValues.truthy(subject) : test(in, test, subject, testArgs);
            if (ok == keep) {
                out.add(item);
            }
        }
        return out;
    }

    /** Python's round(): exact binary value, half-even; a float unless an int was rounded. */
    private static Object round(Object v, Args a) {
        long precision = a.integer(0, "precision", 0);
        String method = a.string(1, "method", "common");
        if (PyValues.isIntegral(v) && method.equals("common")) {
            return PyValues.toLong(v);
        }
        double d = PyValues.toDouble(v);
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return d;
        }
        var mode = switch (method) {
            case "common" -> RoundingMode.HALF_EVEN;
            case "ceil" -> RoundingMode.CEILING;
            case "floor" -> RoundingMode.FLOOR;
            default -> throw TemplateException.runtime("method must be common, ceil or floor");
        };
        return new BigDecimal(d).setScale((int) precision, mode).doubleValue();
    }

    private static Object sort(Interpreter in, Object v, Args a) {
        var items = new ArrayList<>(in.iterate(v));
        var cmp = order(a.bool(1, "case_sensitive", false), a.string(2, "attribute", null));
        items.sort(a.bool(0, "reverse", false) ? cmp.reversed() : cmp);
        return items;
    }

    /** Positional order is transformers': {@code tojson(ensure_ascii, indent, separators, sort_keys)}. */
    private static String tojson(Interpreter in, Object v, Args a) {
        Object indent = a.get(1, "indent", null);
        String pad = indent == null ? null : indent instanceof String s ? s
                : " ".repeat((int) Math.max(0, PyValues.toLong(indent)));
        Object separators = a.get(2, "separators", null);
        String itemSep = pad == null ? ", " : ",";
        String keySep = ": ";
        if (separators != null) {
            List<Object> pair = PyValues.elements(separators);
            if (pair == null || pair.size() != 2) {
                throw TemplateException.runtime("separators must be an (item_separator, key_separator) pair");
            }
            itemSep = PyValues.str(pair.get(0));
            keySep = PyValues.str(pair.get(1));
        }
        return in.checked(PyValues.toJson(v, pad, itemSep, keySep, a.bool(0, "ensure_ascii", false),
                a.bool(3, "sort_keys", false)));
    }

    private static Object unique(Interpreter in, Object v, Args a) {
        boolean caseSensitive = a.bool(0, "case_sensitive", false);
        String attribute = a.string(1, "attribute", null);
        var seen = new ArrayList<Object>();
        var seenStrings = new HashSet<String>();
        var out = new ArrayList<Object>();
        for (Object item : in.iterate(v)) {
            Object key = caseKey(attribute == null ? item : attribute(item, attribute), caseSensitive);
            boolean fresh = key instanceof String s ? seenStrings.add(s)
                    : seen.stream().noneMatch(k -> PyValues.eq(k, key)) && seen.add(key);
            if (fresh) {
                out.add(item);
            }
        }
        return out;
    }
}
