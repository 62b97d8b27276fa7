package dev.mica.jinja;

import dev.mica.jinja.PyValues.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on values ({@code content.strip()}, {@code message.get('x')},
 * {@code ns.items.append(x)}). This whitelist is the only way a template reaches behaviour of a value: there is no
 * reflection, so Java methods such as {@code getClass()} simply do not exist for templates.
 */
final class Methods {

    private static final Set<String> STR = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip", "split",
            "rsplit", "splitlines", "upper", "lower", "title", "capitalize", "swapcase", "casefold", "replace", "find",
            "rfind", "index", "rindex", "count", "format", "join", "isdigit", "isdecimal", "isnumeric", "isalpha",
            "isalnum", "isspace", "isupper", "islower", "center", "ljust", "rjust", "zfill", "removeprefix",
            "removesuffix", "partition", "rpartition");
    private static final Set<String> DICT = Set.of("get", "items", "keys", "values", "update", "pop", "setdefault",
            "copy");
    private static final Set<String> LIST = Set.of("append", "pop", "index", "count", "insert", "extend", "remove",
            "reverse", "copy", "clear");
    private static final Set<String> TUPLE = Set.of("index", "count");

    private Methods() {
    }

    static boolean has(Object self, String name) {
        return switch (self) {
            case String s -> STR.contains(name);
            case Map<?, ?> m -> DICT.contains(name);
            case List<?> l -> LIST.contains(name);
            case Tuple t -> TUPLE.contains(name);
            case null, default -> false;
        };
    }

    static Object call(Interpreter in, Object self, String name, List<Object> pos, Map<String, Object> kw) {
        var a = new Args(name, pos, kw);
        return switch (self) {
            case String s -> string(in, s, name, a);
            case Map<?, ?> m -> dict(in, PyValues.asMap(m), name, a);
            case List<?> l -> list(in, PyValues.elements(l), name, a);
            case Tuple t -> sequence(t.items(), name, a);
            default -> throw TemplateException.runtime("'" + PyValues.typeName(self) + "' has no method " + name);
        };
    }

    private static Object string(Interpreter in, String s, String name, Args a) {
        return switch (name) {
            case "startswith", "endswith" -> {
                String target = a.has(1, "start") ? (String) PyValues.slice(s, a.get(1, "start", null),
                        a.get(2, "end", null), null) : s;
                Object affix = a.required(0, "prefix");
                List<Object> options = PyValues.elements(affix) != null ? PyValues.elements(affix) : List.of(affix);
                boolean match = false;
                for (Object o : options) {
                    if (!(o instanceof String str)) {
                        throw TemplateException.runtime(name + " arg must be str or a tuple of str, not "
                                + PyValues.typeName(o));
                    }
                    match |= name.equals("startswith") ? target.startsWith(str) : target.endsWith(str);
                }
                yield match;
            }
            case "strip" -> PyStrings.strip(s, a.string(0, "chars", null));
            case "lstrip" -> PyStrings.lstrip(s, a.string(0, "chars", null));
            case "rstrip" -> PyStrings.rstrip(s, a.string(0, "chars", null));
            case "split" -> PyStrings.split(s, a.string(0, "sep", null), a.integer(1, "maxsplit", -1));
            case "rsplit" -> PyStrings.rsplit(s, a.string(0, "sep", null), a.integer(1, "maxsplit", -1));
            case "splitlines" -> PyStrings.splitLines(s, a.bool(0, "keepends", false));
            case "upper" -> PyStrings.upper(s);
            case "lower", "casefold" -> PyStrings.lower(s);
            case "title" -> PyStrings.title(s);
            case "capitalize" -> PyStrings.capitalize(s);
            case "swapcase" -> s.codePoints().map(c -> Character.isUpperCase(c) ? Character.toLowerCase(c)
                    : Character.toUpperCase(c)).collect(StringBuilder::new, StringBuilder::appendCodePoint,
                    StringBuilder::append).toString();
            case "replace" -> {
                String old = a.string(0, "old", null);
                String rep = a.string(1, "new", null);
                if (old == null || rep == null) {
                    throw TemplateException.runtime("replace() takes at least 2 arguments");
                }
                long count = a.integer(2, "count", -1);
                long growth = (long) Math.max(0, rep.length() - old.length()) * (count < 0 ? s.length() + 1 : count);
                in.checkSize(s.length() + growth);
                yield PyStrings.replace(s, old, rep, count);
            }
            case "find", "index", "rfind", "rindex" -> {
                String sub = a.string(0, "sub", "");
                int from = (int) Math.min(s.length(), Math.max(0, a.integer(1, "start", 0)));
                int at = name.startsWith("r") ? s.lastIndexOf(sub) : s.indexOf(sub, from);
                if (at < from && at >= 0) {
                    at = -1;
                }
                if (at < 0 && name.endsWith("index")) {
                    throw TemplateException.runtime("substring not found");
                }
                yield PyStrings.pyIndex(s, at);
            }
            case "count" -> PyStrings.count(s, a.string(0, "sub", ""));
            case "format" -> in.checked(PyFormat.format(s, a.positional(), a.keywords()));
            case "join" -> {
                var sb = new StringBuilder();
                List<Object> items = in.iterate(a.required(0, "iterable"));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String item)) {
                        throw TemplateException.runtime("sequence item " + i + ": expected str instance, "
                                + PyValues.typeName(items.get(i)) + " found");
                    }
                    if (i > 0) {
                        sb.append(s);
                    }
                    sb.append(item);
                    in.checkSize(sb.length());
                }
                yield sb.toString();
            }
            case "isdigit", "isdecimal", "isnumeric" -> PyStrings.all(s, Character::isDigit);
            case "isalpha" -> PyStrings.all(s, Character::isLetter);
            case "isalnum" -> PyStrings.all(s, Character::isLetterOrDigit);
            case "isspace" -> PyStrings.all(s, c -> c < 0x10000 && PyStrings.isSpace((char) c));
            case "isupper" -> s.codePoints().anyMatch(Character::isLetter)
                    && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower" -> s.codePoints().anyMatch(Character::isLetter)
                    && s.codePoints().noneMatch(Character::isUpperCase);
            case "center", "ljust", "rjust" -> {
                long width = a.integer(0, "width", 0);
                String fill = a.string(1, "fillchar", " ");
                long len = PyStrings.length(s);
                if (width <= len) {
                    yield s;
                }
                in.checkSize(width);
                long pad = width - len;
                long left = switch (name) {
                    case "ljust" -> 0;
                    case "rjust" -> pad;
                    default -> pad / 2 + (pad & width & 1);
                };
                yield fill.repeat((int) left) + s + fill.repeat((int) (pad - left));
            }
            case "zfill" -> {
                long width = a.integer(0, "width", 0);
                long len = PyStrings.length(s);
                if (width <= len) {
                    yield s;
                }
                in.checkSize(width);
                boolean signed = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+');
                String zeros = "0".repeat((int) (width - len));
                yield signed ? s.charAt(0) + zeros + s.substring(1) : zeros + s;
            }
            case "removeprefix" -> {
                String p = a.string(0, "prefix", "");
                yield s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = a.string(0, "suffix", "");
                yield !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "partition", "rpartition" -> {
                String sep = a.string(0, "sep", "");
                if (sep.isEmpty()) {
                    throw TemplateException.runtime("empty separator");
                }
                int at = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                yield at < 0 ? (name.equals("partition") ? new Tuple(List.of(s, "", "")) : new Tuple(List.of("", "", s)))
                        : new Tuple(List.of(s.substring(0, at), sep, s.substring(at + sep.length())));
            }
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object dict(Interpreter in, Map<Object, Object> m, String name, Args a) {
        return switch (name) {
            case "get" -> {
                Object key = a.required(0, "key");
                yield m.containsKey(key) ? m.get(key) : a.get(1, "default", null);
            }
            case "items" -> {
                var out = new ArrayList<Object>(m.size());
                m.forEach((k, v) -> out.add(new Tuple(java.util.Arrays.asList(k, v))));
                yield out;
            }
            case "keys" -> new ArrayList<>(m.keySet());
            case "values" -> new ArrayList<>(m.values());
            case "update" -> {
                for (Object other : a.positional()) {
                    Map<Object, Object> src = PyValues.asMap(other);
                    if (src == null) {
                        throw TemplateException.runtime("dict.update() argument must be a dict");
                    }
                    m.putAll(src);
                }
                m.putAll(a.keywords());
                in.tick(m.size());
                yield null;
            }
            case "pop" -> {
                Object key = a.required(0, "key");
                if (!m.containsKey(key) && !a.has(1, "default")) {
                    throw TemplateException.runtime("KeyError: " + PyValues.repr(key));
                }
                yield m.containsKey(key) ? m.remove(key) : a.get(1, "default", null);
            }
            case "setdefault" -> {
                Object key = a.required(0, "key");
                yield m.computeIfAbsent(key, k -> a.get(1, "default", null));
            }
            case "copy" -> new LinkedHashMap<>(m);
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object list(Interpreter in, List<Object> l, String name, Args a) {
        return switch (name) {
            case "append" -> {
                l.add(a.required(0, "object"));
                yield null;
            }
            case "extend" -> {
                l.addAll(in.iterate(a.required(0, "iterable")));
                yield null;
            }
            case "insert" -> {
                long i = a.integer(0, "index", 0);
                i = i < 0 ? Math.max(0, i + l.size()) : Math.min(i, l.size());
                l.add((int) i, a.required(1, "object"));
                yield null;
            }
            case "pop" -> {
                if (l.isEmpty()) {
                    throw TemplateException.runtime("pop from empty list");
                }
                long i = a.integer(0, "index", -1);
                long at = i < 0 ? i + l.size() : i;
                if (at < 0 || at >= l.size()) {
                    throw TemplateException.runtime("pop index out of range");
                }
                yield l.remove((int) at);
            }
            case "remove" -> {
                Object x = a.required(0, "value");
                int at = indexOf(l, x);
                if (at < 0) {
                    throw TemplateException.runtime("list.remove(x): x not in list");
                }
                l.remove(at);
                yield null;
            }
            case "reverse" -> {
                java.util.Collections.reverse(l);
                yield null;
            }
            case "clear" -> {
                l.clear();
                yield null;
            }
            case "copy" -> new ArrayList<>(l);
            default -> sequence(l, name, a);
        };
    }

    private static Object sequence(List<Object> l, String name, Args a) {
        Object x = a.required(0, "value");
        if (name.equals("count")) {
            return l.stream().filter(e -> PyValues.eq(e, x)).count();
        }
        int at = indexOf(l, x);
        if (at < 0) {
            throw TemplateException.runtime(PyValues.repr(x) + " is not in list");
        }
        return (long) at;
    }

    private static int indexOf(List<Object> l, Object x) {
        for (int i = 0; i < l.size(); i++) {
            if (PyValues.eq(l.get(i), x)) {
                return i;
            }
        }
        return -1;
    }
}
