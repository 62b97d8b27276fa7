package dev.mica.jinja;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python semantics for template values: truthiness, {@code str()}/{@code repr()}, equality, ordering, arithmetic,
 * indexing, slicing and {@code json.dumps}. Chat templates were written against Python Jinja, so {@code {{ true }}}
 * must print {@code True}, {@code 7 // -2} must be {@code -4} and a tool schema must serialize byte-for-byte like
 * {@code json.dumps}.
 *
 * <p>Run-time values are: {@code null} (None), {@link Undefined}, {@link Boolean}, {@link Long}, {@link Double},
 * {@link String}, {@code List<Object>} (mutable {@link ArrayList}), {@code Map<Object, Object>} (insertion-ordered
 * {@link LinkedHashMap}), {@link Tuple}, {@link Namespace} and {@link Callable}s (macros, globals, bound methods).
 */
final class PyValues {

    /** Deepest nesting of lists and dicts accepted in data, which also bounds recursion on cyclic structures. */
    static final int MAX_DATA_DEPTH = 200;

    private PyValues() {
    }

    // ---------------------------------------------------------------- value types

    /** Jinja's Undefined: falsy, prints as nothing, iterates as empty; {@code name} is kept for error messages. */
    record Undefined(String name) {
        static final Undefined INSTANCE = new Undefined(null);

        TemplateException error() {
            return TemplateException.runtime(name == null ? "value is undefined" : "'" + name + "' is undefined");
        }
    }

    /** An immutable Python tuple; {@code dict.items()} yields these so {@code for k, v in ...} can unpack them. */
    record Tuple(List<Object> items) {
        Tuple {
            items = java.util.Collections.unmodifiableList(new ArrayList<>(items));
        }
    }

    /** Jinja's {@code namespace()}: the one object whose attributes {@code {% set ns.x = ... %}} may assign. */
    static final class Namespace {
        final Map<Object, Object> attrs = new LinkedHashMap<>();
    }

    /** Anything a template can call. Implementations are the interpreter's own; Java methods are never reachable. */
    interface Callable {
        Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs);
    }

    /** {@code obj.method} looked up without being called yet, e.g. for {@code is callable}. */
    record BoundMethod(Object self, String name) implements Callable {
        @Override
        public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
            return Methods.call(in, self, name, args, kwargs);
        }
    }

    // ---------------------------------------------------------------- conversion of caller data

    /** Copies caller data into run-time values, normalising numbers to Long/Double and rejecting other Java types. */
    static Object fromJava(Object v, int depth) {
        if (depth > MAX_DATA_DEPTH) {
            throw new TemplateException(TemplateException.Kind.LIMIT, "context data nested too deeply");
        }
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Double d -> d;
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case Float f -> f.doubleValue();
            case BigInteger b -> b.bitLength() < 64 ? (Object) b.longValue() : (Object) b.doubleValue();
            case BigDecimal b -> b.doubleValue();
            case CharSequence cs -> cs.toString();
            case Character c -> c.toString();
            case Map<?, ?> m -> {
                var copy = new LinkedHashMap<Object, Object>();
                m.forEach((k, val) -> copy.put(fromJava(k, depth + 1), fromJava(val, depth + 1)));
                yield copy;
            }
            case Collection<?> c -> {
                var copy = new ArrayList<Object>(c.size());
                c.forEach(e -> copy.add(fromJava(e, depth + 1)));
                yield copy;
            }
            case Object[] a -> fromJava(List.of(a), depth);
            case Undefined u -> u;
            default -> throw TemplateException.runtime("unsupported context value of type " + v.getClass().getName());
        };
    }

    // ---------------------------------------------------------------- type predicates

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    /** Python int, where bool counts as int for arithmetic. */
    static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static boolean isSequence(Object v) {
        return v instanceof List || v instanceof Tuple;
    }

    static long toLong(Object v) {
        return switch (v) {
            case Long l -> l;
            case Boolean b -> b ? 1 : 0;
            case Double d -> (long) (double) d;
            case null, default -> throw TemplateException.runtime("expected an integer, got " + typeName(v));
        };
    }

    static double toDouble(Object v) {
        return switch (v) {
            case Long l -> l;
            case Double d -> d;
            case Boolean b -> b ? 1 : 0;
            case null, default -> throw TemplateException.runtime("expected a number, got " + typeName(v));
        };
    }

    /** Elements of a list or tuple, or null. */
    @SuppressWarnings("unchecked")
    static List<Object> elements(Object v) {
        return v instanceof List<?> l ? (List<Object>) l : v instanceof Tuple t ? t.items() : null;
    }

    @SuppressWarnings("unchecked")
    static Map<Object, Object> asMap(Object v) {
        return v instanceof Map<?, ?> m ? (Map<Object, Object>) m : null;
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Tuple t -> "tuple";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case Interpreter.Loop l -> "LoopContext";
            default -> "function";
        };
    }

    // ---------------------------------------------------------------- truthiness and string forms

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Undefined u -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0.0;
            case String s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Tuple t -> !t.items().isEmpty();
            default -> true;
        };
    }

    /** Python's {@code str()}, which is what {@code {{ value }}} prints. */
    static String str(Object v) {
        return switch (v) {
            case String s -> s;
            case Undefined u -> "";
            case null, default -> repr(v, 0);
        };
    }

    static String repr(Object v) {
        return repr(v, 0);
    }

    private static String repr(Object v, int depth) {
        if (depth > MAX_DATA_DEPTH) {
            throw new TemplateException(TemplateException.Kind.LIMIT, "value nested too deeply to print");
        }
        return switch (v) {
            case null -> "None";
            case Boolean b -> b ? "True" : "False";
            case Long l -> l.toString();
            case Double d -> floatRepr(d);
            case String s -> PyStrings.repr(s);
            case Undefined u -> "";
            case List<?> l -> join(l, "[", "]", depth);
            case Tuple t -> t.items().size() == 1 ? "(" + repr(t.items().getFirst(), depth + 1) + ",)"
                    : join(t.items(), "(", ")", depth);
            case Map<?, ?> m -> {
                var sb = new StringBuilder("{");
                for (var e : m.entrySet()) {
                    if (sb.length() > 1) {
                        sb.append(", ");
                    }
                    sb.append(repr(e.getKey(), depth + 1)).append(": ").append(repr(e.getValue(), depth + 1));
                }
                yield sb.append('}').toString();
            }
            case Namespace n -> "<Namespace " + repr(n.attrs, depth + 1) + ">";
            case BoundMethod m -> "<built-in method " + m.name() + " of " + typeName(m.self()) + " object>";
            case Interpreter.Macro m -> "<Macro '" + m.name() + "'>";
            case Interpreter.Loop l -> "<LoopContext " + l.index() + "/" + l.length() + ">";
            default -> "<function>";
        };
    }

    private static String join(List<?> items, String open, String close, int depth) {
        var sb = new StringBuilder(open);
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(repr(items.get(i), depth + 1));
        }
        return sb.append(close).toString();
    }

    /** Python's {@code repr(float)}: the shortest round-tripping digits, scientific outside 1e-4 to 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        // Java's Double.toString also yields the shortest round-tripping decimal (JDK 19+), only formatted differently.
        var bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int decpt = digits.length() - bd.scale();
        var sb = new StringBuilder(d < 0 ? "-" : "");
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                sb.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, decpt).append('.').append(digits.substring(decpt));
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits.substring(1));
            }
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+').append(Math.abs(exp) < 10 ? "0" : "").append(Math.abs(exp));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- equality and ordering

    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? toLong(a) == toLong(b) : toDouble(a) == toDouble(b);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            return listEq(la, lb);
        }
        if (a instanceof Tuple ta && b instanceof Tuple tb) {
            return listEq(ta.items(), tb.items());
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (var e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private static boolean listEq(List<?> a, List<?> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!eq(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Python ordering of numbers, strings and sequences; anything else is a TypeError. */
    static int compare(Object a, Object b, String op) {
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? Long.compare(toLong(a), toLong(b))
                    : Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return compareCodePoints(sa, sb);
        }
        List<Object> la = elements(a);
        List<Object> lb = elements(b);
        if (la != null && lb != null && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw TemplateException.runtime(
                "'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(i);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
        }
        return Integer.compare(a.length() - i, b.length() - i);
    }

    /** Python's {@code item in container}. */
    static boolean contains(Object container, Object item) {
        return switch (container) {
            case String s when item instanceof String sub -> s.contains(sub);
            case String s -> throw TemplateException.runtime(
                    "'in <string>' requires string as left operand, not " + typeName(item));
            case Map<?, ?> m -> {
                if (item instanceof List || item instanceof Map) {
                    throw TemplateException.runtime("unhashable type: '" + typeName(item) + "'");
                }
                yield m.containsKey(item) || m.keySet().stream().anyMatch(k -> eq(k, item));
            }
            case Undefined u -> false;
            case null, default -> {
                List<Object> items = elements(container);
                if (items == null) {
                    throw TemplateException.runtime("argument of type '" + typeName(container) + "' is not iterable");
                }
                yield items.stream().anyMatch(e -> eq(e, item));
            }
        };
    }

    // ---------------------------------------------------------------- arithmetic

    static Object add(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? (Object) exact(() -> Math.addExact(toLong(a), toLong(b)))
                    : (Object) (toDouble(a) + toDouble(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return sa + sb;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            var out = new ArrayList<Object>(la);
            out.addAll(lb);
            return out;
        }
        if (a instanceof Tuple ta && b instanceof Tuple tb) {
            var out = new ArrayList<Object>(ta.items());
            out.addAll(tb.items());
            return new Tuple(out);
        }
        throw operandError("+", a, b);
    }

    static Object sub(Object a, Object b) {
        requireNumbers("-", a, b);
        return isIntegral(a) && isIntegral(b) ? (Object) exact(() -> Math.subtractExact(toLong(a), toLong(b)))
                : (Object) (toDouble(a) - toDouble(b));
    }

    /** Multiplication; repetition of strings and lists is sized by the interpreter before it gets here. */
    static Object mul(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            return isIntegral(a) && isIntegral(b) ? (Object) exact(() -> Math.multiplyExact(toLong(a), toLong(b)))
                    : (Object) (toDouble(a) * toDouble(b));
        }
        Object seq = isIntegral(a) ? b : a;
        Object times = isIntegral(a) ? a : b;
        if (!isIntegral(times)) {
            throw operandError("*", a, b);
        }
        int n = (int) Math.max(0, toLong(times));
        if (seq instanceof String s) {
            return s.repeat(n);
        }
        List<Object> items = elements(seq);
        if (items == null) {
            throw operandError("*", a, b);
        }
        var out = new ArrayList<Object>(items.size() * n);
        for (int i = 0; i < n; i++) {
            out.addAll(items);
        }
        return seq instanceof Tuple ? new Tuple(out) : out;
    }

    static Object div(Object a, Object b) {
        requireNumbers("/", a, b);
        double d = toDouble(b);
        if (d == 0) {
            throw TemplateException.runtime("division by zero");
        }
        return toDouble(a) / d;
    }

    static Object floorDiv(Object a, Object b) {
        requireNumbers("//", a, b);
        if (isIntegral(a) && isIntegral(b)) {
            long y = toLong(b);
            if (y == 0) {
                throw TemplateException.runtime("integer division or modulo by zero");
            }
            return Math.floorDiv(toLong(a), y);
        }
        double y = toDouble(b);
        if (y == 0) {
            throw TemplateException.runtime("float floor division by zero");
        }
        return Math.floor(toDouble(a) / y);
    }

    static Object mod(Object a, Object b) {
        requireNumbers("%", a, b);
        if (isIntegral(a) && isIntegral(b)) {
            long y = toLong(b);
            if (y == 0) {
                throw TemplateException.runtime("integer division or modulo by zero");
            }
            return Math.floorMod(toLong(a), y);
        }
        double x = toDouble(a);
        double y = toDouble(b);
        if (y == 0) {
            throw TemplateException.runtime("float modulo");
        }
        double r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    static Object pow(Object a, Object b) {
        requireNumbers("**", a, b);
        if (isIntegral(a) && isIntegral(b) && toLong(b) >= 0) {
            long base = toLong(a);
            long exp = toLong(b);
            long result = 1;
            for (long i = 0; i < exp; i++) {
                final long r = result;
                result = exact(() -> Math.multiplyExact(r, base));
                if (result == 0 || result == 1 && base == 1) {
                    break;
                }
            }
            return result;
        }
        return Math.pow(toDouble(a), toDouble(b));
    }

    static Object negate(Object a) {
        return switch (a) {
            case Long l -> exact(() -> Math.negateExact(l));
            case Boolean b -> b ? -1L : 0L;
            case Double d -> -d;
            case Undefined u -> throw u.error();
            case null, default -> throw TemplateException.runtime("bad operand type for unary -: '" + typeName(a) + "'");
        };
    }

    private static long exact(java.util.function.LongSupplier op) {
        try {
            return op.getAsLong();
        } catch (ArithmeticException e) {
            throw TemplateException.runtime("integer overflow");
        }
    }

    private static void requireNumbers(String op, Object a, Object b) {
        if (!isNumber(a) || !isNumber(b)) {
            throw operandError(op, a, b);
        }
    }

    static TemplateException operandError(String op, Object a, Object b) {
        if (a instanceof Undefined u) {
            return u.error();
        }
        if (b instanceof Undefined u) {
            return u.error();
        }
        return TemplateException.runtime("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    // ---------------------------------------------------------------- containers

    static long length(Object v) {
        return switch (v) {
            case String s -> PyStrings.length(s);
            case List<?> l -> l.size();
            case Map<?, ?> m -> m.size();
            case Tuple t -> t.items().size();
            case Undefined u -> 0;
            case null, default -> throw TemplateException.runtime("object of type '" + typeName(v) + "' has no len()");
        };
    }

    /** A snapshot of what {@code for x in v} visits: list items, dict keys, string characters. */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case List<?> l -> new ArrayList<>(l);
            case Tuple t -> t.items();
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> PyStrings.chars(s);
            case Undefined u -> List.of();
            case null, default -> throw TemplateException.runtime("'" + typeName(v) + "' object is not iterable");
        };
    }

    /** Jinja's {@code obj.name}: a whitelisted method first, then the item. Missing is undefined, as on None. */
    static Object getAttr(Object obj, String name) {
        return switch (obj) {
            case Undefined u -> throw u.error();
            case Namespace n -> n.attrs.containsKey(name) ? n.attrs.get(name) : new Undefined(name);
            case Interpreter.Loop l -> l.attr(name);
            case Map<?, ?> m when !Methods.has(m, name) -> m.containsKey(name) ? m.get(name) : new Undefined(name);
            case null, default -> Methods.has(obj, name) ? new BoundMethod(obj, name) : new Undefined(name);
        };
    }

    /** Jinja's {@code obj[key]}: the item first, then (for string keys) the attribute. */
    static Object getItem(Object obj, Object key) {
        switch (obj) {
            case Undefined u -> throw u.error();
            case Map<?, ?> m -> {
                if (m.containsKey(key)) {
                    return m.get(key);
                }
                if (isNumber(key)) {
                    for (var e : m.entrySet()) {
                        if (isNumber(e.getKey()) && eq(e.getKey(), key)) {
                            return e.getValue();
                        }
                    }
                }
            }
            case String s when isIntegral(key) -> {
                long len = PyStrings.length(s);
                long i = toLong(key) < 0 ? toLong(key) + len : toLong(key);
                return i >= 0 && i < len ? PyStrings.charAt(s, (int) i) : new Undefined(null);
            }
            case Namespace n -> {
                return n.attrs.containsKey(key) ? n.attrs.get(key) : new Undefined(String.valueOf(key));
            }
            case null, default -> {
                List<Object> items = elements(obj);
                if (items != null && isIntegral(key)) {
                    long i = toLong(key) < 0 ? toLong(key) + items.size() : toLong(key);
                    return i >= 0 && i < items.size() ? items.get((int) i) : new Undefined(null);
                }
            }
        }
        return key instanceof String name ? getAttr(obj, name) : new Undefined(null);
    }

    /** Python slicing of strings, lists and tuples. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        long st = isNone(step) ? 1 : toLong(step);
        if (st == 0) {
            throw TemplateException.runtime("slice step cannot be zero");
        }
        if (obj instanceof String s) {
            var cps = s.codePoints().toArray();
            var sb = new StringBuilder();
            for (long i : sliceIndices(cps.length, start, stop, st)) {
                sb.appendCodePoint(cps[(int) i]);
            }
            return sb.toString();
        }
        List<Object> items = elements(obj);
        if (items == null) {
            if (obj instanceof Undefined u) {
                throw u.error();
            }
            throw TemplateException.runtime("'" + typeName(obj) + "' object is not subscriptable");
        }
        var out = new ArrayList<Object>();
        for (long i : sliceIndices(items.size(), start, stop, st)) {
            out.add(items.get((int) i));
        }
        return obj instanceof Tuple ? new Tuple(out) : out;
    }

    private static boolean isNone(Object v) {
        return v == null || v instanceof Undefined;
    }

    private static List<Long> sliceIndices(long len, Object start, Object stop, long step) {
        long from = isNone(start) ? (step < 0 ? len - 1 : 0) : clampIndex(toLong(start), len, step);
        long to = isNone(stop) ? (step < 0 ? -1 : len) : clampIndex(toLong(stop), len, step);
        var out = new ArrayList<Long>();
        for (long i = from; step > 0 ? i < to : i > to; i += step) {
            out.add(i);
        }
        return out;
    }

    private static long clampIndex(long i, long len, long step) {
        if (i < 0) {
            i += len;
            return i < 0 ? (step < 0 ? -1 : 0) : i;
        }
        return i >= len ? (step < 0 ? len - 1 : len) : i;
    }

    // ---------------------------------------------------------------- JSON

    /**
     * Python's {@code json.dumps(v, indent=..., separators=..., ensure_ascii=..., sort_keys=...)}.
     *
     * @param indent null for single-line output, otherwise the string repeated per nesting level
     */
    static String toJson(Object v, String indent, String itemSep, String keySep, boolean ensureAscii,
                         boolean sortKeys) {
        var sb = new StringBuilder();
        new Object() {
            void write(Object x, int depth) {
                if (depth > MAX_DATA_DEPTH) {
                    throw new TemplateException(TemplateException.Kind.LIMIT, "value nested too deeply for JSON");
                }
                switch (x) {
                    case null -> sb.append("null");
                    case Boolean b -> sb.append(b);
                    case Long l -> sb.append(l);
                    case Double d -> sb.append(d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity")
                            : floatRepr(d));
                    case String s -> quote(s);
                    case Map<?, ?> m -> {
                        var entries = new ArrayList<Map.Entry<String, Object>>();
                        m.forEach((k, val) -> entries.add(Map.entry(jsonKey(k), val == null ? NULL : val)));
                        if (sortKeys) {
                            entries.sort(Map.Entry.comparingByKey());
                        }
                        sb.append('{');
                        for (int i = 0; i < entries.size(); i++) {
                            separate(i, depth);
                            quote(entries.get(i).getKey());
                            sb.append(keySep);
                            Object val = entries.get(i).getValue();
                            write(val == NULL ? null : val, depth + 1);
                        }
                        close('}', entries.isEmpty(), depth);
                    }
                    default -> {
                        List<Object> items = elements(x);
                        if (items == null) {
                            throw TemplateException.runtime(
                                    "Object of type " + typeName(x) + " is not JSON serializable");
                        }
                        sb.append('[');
                        for (int i = 0; i < items.size(); i++) {
                            separate(i, depth);
                            write(items.get(i), depth + 1);
                        }
                        close(']', items.isEmpty(), depth);
                    }
                }
            }

            void separate(int i, int depth) {
                if (i > 0) {
                    sb.append(itemSep);
                }
                if (indent != null) {
                    sb.append('\n').append(indent.repeat(depth + 1));
                }
            }

            void close(char c, boolean empty, int depth) {
                if (indent != null && !empty) {
                    sb.append('\n').append(indent.repeat(depth));
                }
                sb.append(c);
            }

            void quote(String s) {
                sb.append('"');
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    switch (c) {
                        case '"' -> sb.append("\\\"");
                        case '\\' -> sb.append("\\\\");
                        case '\n' -> sb.append("\\n");
                        case '\r' -> sb.append("\\r");
                        case '\t' -> sb.append("\\t");
                        case '\b' -> sb.append("\\b");
                        case '\f' -> sb.append("\\f");
                        default -> {
                            if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                                sb.append(String.format("\\u%04x", (int) c));
                            } else {
                                sb.append(c);
                            }
                        }
                    }
                }
                sb.append('"');
            }
        }.write(v, 0);
        return sb.toString();
    }

    /** Placeholder so null values survive in the entry list (Map.entry rejects null). */
    private static final Object NULL = new Object();

    private static String jsonKey(Object k) {
        return switch (k) {
            case String s -> s;
            case null -> "null";
            case Boolean b -> b.toString();
            case Long l -> l.toString();
            case Double d -> floatRepr(d);
            default -> throw TemplateException.runtime(
                    "keys must be str, int, float, bool or None, not " + typeName(k));
        };
    }
}
