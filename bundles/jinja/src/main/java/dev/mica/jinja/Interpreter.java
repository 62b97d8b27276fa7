package dev.mica.jinja;

import dev.mica.jinja.Ast.*;
import dev.mica.jinja.PyValues.Callable;
import dev.mica.jinja.PyValues.Namespace;
import dev.mica.jinja.PyValues.Tuple;
import dev.mica.jinja.PyValues.Undefined;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks the syntax tree for one render. Not thread-safe: {@link Template#render} makes a fresh one per call.
 *
 * <p>Every statement, expression and loop iteration costs a step and bulk operations cost one step per element, so
 * any template, however hostile, stops within {@link Template.Options#maxSteps()} steps; strings are size-checked
 * before they are built, so none can exhaust memory.
 */
final class Interpreter {

    /** How a statement list finished: normally, or through {@code break}/{@code continue}. */
    private enum Flow { NEXT, BREAK, CONTINUE }

    /** A variable frame. Jinja gives each for-loop iteration, macro call and with-block its own. */
    private static final class Scope {
        final Scope parent;
        final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) {
                    return v;
                }
            }
            return new Undefined(name);
        }
    }

    /** A macro closed over the scope it was defined in (which also makes recursion work). */
    record Macro(String name, List<Param> params, List<Stmt> body, Scope closure) implements Callable {
        @Override
        public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
            if (++in.callDepth > in.options.maxCallDepth()) {
                throw new TemplateException(TemplateException.Kind.LIMIT,
                        "macro calls nested deeper than " + in.options.maxCallDepth());
            }
            try {
                var scope = new Scope(closure);
                var extra = new LinkedHashMap<Object, Object>(kwargs);
                for (int i = 0; i < params.size(); i++) {
                    Param p = params.get(i);
                    Object value;
                    if (i < args.size()) {
                        value = args.get(i);
                    } else if (extra.containsKey(p.name())) {
                        value = extra.remove(p.name());
                    } else {
                        value = p.defaultValue() == null ? new Undefined(p.name()) : in.eval(p.defaultValue(), scope);
                    }
                    scope.vars.put(p.name(), value);
                }
                Object caller = extra.remove("caller");
                if (caller != null) {
                    scope.vars.put("caller", caller);
                }
                scope.vars.put("varargs", new Tuple(args.size() > params.size()
                        ? args.subList(params.size(), args.size()) : List.of()));
                scope.vars.put("kwargs", extra);
                var out = new StringBuilder();
                in.exec(body, scope, out);
                return out.toString();
            } finally {
                in.callDepth--;
            }
        }
    }

    /** The {@code loop} variable of a for loop. */
    static final class Loop {
        private final List<Object> items;
        private int index0;
        private Object lastChanged = new Object();

        Loop(List<Object> items) {
            this.items = items;
        }

        long index() {
            return index0 + 1;
        }

        long length() {
            return items.size();
        }

        Object attr(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index0 + 1;
                case "index0" -> (long) index0;
                case "revindex" -> (long) (n - index0);
                case "revindex0" -> (long) (n - index0 - 1);
                case "first" -> index0 == 0;
                case "last" -> index0 == n - 1;
                case "length" -> (long) n;
                case "depth" -> 1L;
                case "depth0" -> 0L;
                case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("previtem");
                case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : new Undefined("nextitem");
                case "cycle" -> (Callable) (in, args, kw) -> {
                    if (args.isEmpty()) {
                        throw TemplateException.runtime("no items for cycling given");
                    }
                    return args.get(index0 % args.size());
                };
                case "changed" -> (Callable) (in, args, kw) -> {
                    Object value = new Tuple(args);
                    boolean changed = !PyValues.eq(value, lastChanged);
                    lastChanged = value;
                    return changed;
                };
                default -> new Undefined(name);
            };
        }
    }

    private final Template.Options options;
    private final Scope globals = new Scope(null);
    private long steps;
    private int callDepth;

    Interpreter(Template.Options options) {
        this.options = options;
        defineGlobals();
    }

    String render(List<Stmt> body, Map<String, ?> context) {
        var data = new Scope(globals);
        context.forEach((k, v) -> data.vars.put(k, PyValues.fromJava(v, 0)));
        var out = new StringBuilder();
        try {
            exec(body, new Scope(data), out);
        } catch (StackOverflowError e) {
            throw new TemplateException(TemplateException.Kind.LIMIT, "template recursion too deep");
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- limits

    void tick(long cost) {
        steps += cost;
        if (steps > options.maxSteps()) {
            throw new TemplateException(TemplateException.Kind.LIMIT,
                    "template exceeded its budget of " + options.maxSteps() + " steps");
        }
    }

    void checkSize(long chars) {
        if (chars > options.maxOutputChars()) {
            throw new TemplateException(TemplateException.Kind.LIMIT,
                    "template output exceeds " + options.maxOutputChars() + " characters");
        }
    }

    String checked(String s) {
        checkSize(s.length());
        return s;
    }

    /** {@link PyValues#iterate} charged one step per element. */
    List<Object> iterate(Object v) {
        List<Object> items = PyValues.iterate(v);
        tick(items.size());
        return items;
    }

    private void emit(StringBuilder out, String s) {
        checkSize((long) out.length() + s.length());
        out.append(s);
    }

    // ---------------------------------------------------------------- statements

    private Flow exec(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            Flow flow;
            try {
                flow = exec(s, scope, out);
            } catch (TemplateException e) {
                throw e.at(s.line(), 0);
            }
            if (flow != Flow.NEXT) {
                return flow;
            }
        }
        return Flow.NEXT;
    }

    private Flow exec(Stmt stmt, Scope scope, StringBuilder out) {
        tick(1);
        switch (stmt) {
            case Text t -> emit(out, t.text());
            case Emit e -> emit(out, PyValues.str(eval(e.expr(), scope)));
            case If i -> {
                for (Branch b : i.branches()) {
                    if (PyValues.truthy(eval(b.cond(), scope))) {
                        return exec(b.body(), scope, out);
                    }
                }
                return exec(i.orElse(), scope, out);
            }
            case For f -> execFor(f, scope, out);
            case Set s -> assign(s.target(), eval(s.value(), scope), scope);
            case SetBlock s -> {
                var buf = new StringBuilder();
                exec(s.body(), scope, buf);
                assign(s.target(), applyFilters(s.filters(), buf.toString(), scope), scope);
            }
            case Ast.Macro m -> scope.vars.put(m.name(), new Macro(m.name(), m.params(), m.body(), scope));
            case CallBlock c -> {
                var caller = new Macro("caller", c.callerParams(), c.body(), scope);
                emit(out, PyValues.str(call(c.call(), scope, caller)));
            }
            case FilterBlock f -> {
                var buf = new StringBuilder();
                exec(f.body(), scope, buf);
                emit(out, PyValues.str(applyFilters(f.filters(), buf.toString(), scope)));
            }
            case With w -> {
                var inner = new Scope(scope);
                for (int i = 0; i < w.targets().size(); i++) {
                    assign(w.targets().get(i), eval(w.values().get(i), scope), inner);
                }
                return exec(w.body(), inner, out);
            }
            case Do d -> eval(d.expr(), scope);
            case Block b -> {
                return exec(b.body(), scope, out);
            }
            case Break b -> {
                return Flow.BREAK;
            }
            case Continue c -> {
                return Flow.CONTINUE;
            }
        }
        return Flow.NEXT;
    }

    private void execFor(For f, Scope scope, StringBuilder out) {
        List<Object> items = iterate(eval(f.iter(), scope));
        if (f.filter() != null) {
            // The inline filter sees the loop target but no `loop`, and `loop.length` counts only what passes it.
            var kept = new ArrayList<Object>();
            for (Object item : items) {
                var probe = new Scope(scope);
                assign(f.target(), item, probe);
                if (PyValues.truthy(eval(f.filter(), probe))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            exec(f.orElse(), scope, out);
            return;
        }
        var loop = new Loop(items);
        for (int i = 0; i < items.size(); i++) {
            tick(1);
            loop.index0 = i;
            var iteration = new Scope(scope);
            assign(f.target(), items.get(i), iteration);
            iteration.vars.put("loop", loop);
            if (exec(f.body(), iteration, out) == Flow.BREAK) {
                break;
            }
        }
    }

    private void assign(Target target, Object value, Scope scope) {
        switch (target) {
            case NameTarget n -> scope.vars.put(n.name(), value);
            case AttrTarget a -> {
                if (!(eval(a.object(), scope) instanceof Namespace ns)) {
                    throw TemplateException.runtime("cannot assign attribute '" + a.attr() + "' on a non-namespace object");
                }
                ns.attrs.put(a.attr(), value);
            }
            case TupleTarget t -> {
                List<Object> values = PyValues.elements(value) != null ? PyValues.elements(value) : iterate(value);
                if (values.size() != t.items().size()) {
                    throw TemplateException.runtime((values.size() < t.items().size() ? "not enough" : "too many")
                            + " values to unpack (expected " + t.items().size() + ", got " + values.size() + ")");
                }
                for (int i = 0; i < values.size(); i++) {
                    assign(t.items().get(i), values.get(i), scope);
                }
            }
        }
    }

    private Object applyFilters(List<FilterCall> filters, Object value, Scope scope) {
        Object v = value;
        for (FilterCall f : filters) {
            v = Filters.apply(this, f.name(), v, args(f.name(), f.args(), scope));
        }
        return v;
    }

    // ---------------------------------------------------------------- expressions

    Object eval(Expr expr, Scope scope) {
        tick(1);
        return switch (expr) {
            case Const c -> c.value();
            case Var v -> scope.lookup(v.name());
            case ListLit l -> {
                var list = new ArrayList<Object>(l.items().size());
                l.items().forEach(e -> list.add(eval(e, scope)));
                yield list;
            }
            case TupleLit t -> new Tuple(t.items().stream().map(e -> eval(e, scope)).toList());
            case DictLit d -> {
                var map = new LinkedHashMap<Object, Object>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object key = eval(d.keys().get(i), scope);
                    if (key instanceof List || key instanceof Map || key instanceof Undefined) {
                        throw TemplateException.runtime("unhashable type: '" + PyValues.typeName(key) + "'");
                    }
                    map.put(key, eval(d.values().get(i), scope));
                }
                yield map;
            }
            case GetAttr g -> PyValues.getAttr(eval(g.object(), scope), g.name());
            case GetItem g -> PyValues.getItem(eval(g.object(), scope), eval(g.key(), scope));
            case Slice s -> PyValues.slice(eval(s.object(), scope), evalOrNull(s.start(), scope),
                    evalOrNull(s.stop(), scope), evalOrNull(s.step(), scope));
            case Call c -> call(c, scope, null);
            case Filter f -> Filters.apply(this, f.name(), eval(f.value(), scope), args(f.name(), f.args(), scope));
            case Test t -> Filters.test(this, t.name(), eval(t.value(), scope), args(t.name(), t.args(), scope))
                    != t.negated();
            case Unary u -> unary(u.op(), eval(u.operand(), scope));
            case Binary b -> binary(b, scope);
            case Compare c -> compare(c, scope);
            case Cond c -> PyValues.truthy(eval(c.cond(), scope)) ? eval(c.then(), scope)
                    : c.orElse() == null ? new Undefined(null) : eval(c.orElse(), scope);
        };
    }

    private Object evalOrNull(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private Object call(Call c, Scope scope, Macro caller) {
        Object fn = eval(c.callee(), scope);
        Args a = args("call", c.args(), scope);
        Map<String, Object> kwargs = a.keywords();
        if (caller != null) {
            kwargs = new LinkedHashMap<>(kwargs);
            kwargs.put("caller", caller);
        }
        return switch (fn) {
            case Callable callable -> callable.call(this, a.positional(), kwargs);
            case Undefined u -> throw u.name() == null ? TemplateException.runtime("value is undefined")
                    : TemplateException.runtime("'" + u.name() + "' is undefined");
            case null, default -> throw TemplateException.runtime(
                    "'" + PyValues.typeName(fn) + "' object is not callable");
        };
    }

    private Args args(String function, List<Arg> args, Scope scope) {
        if (args.isEmpty()) {
            return new Args(function, List.of(), Map.of());
        }
        var positional = new ArrayList<Object>();
        var keywords = new LinkedHashMap<String, Object>();
        for (Arg arg : args) {
            Object v = eval(arg.value(), scope);
            if (arg.star()) {
                positional.addAll(iterate(v));
            } else if (arg.doubleStar()) {
                Map<Object, Object> m = PyValues.asMap(v);
                if (m == null) {
                    throw TemplateException.runtime("argument after ** must be a mapping");
                }
                m.forEach((k, val) -> keywords.put(PyValues.str(k), val));
            } else if (arg.name() != null) {
                keywords.put(arg.name(), v);
            } else {
                positional.add(v);
            }
        }
        return new Args(function, positional, keywords);
    }

    private static Object unary(String op, Object v) {
        return switch (op) {
            case "not" -> !PyValues.truthy(v);
            case "-" -> PyValues.negate(v);
            default -> {
                if (!PyValues.isNumber(v)) {
                    throw v instanceof Undefined u ? u.error()
                            : TemplateException.runtime("bad operand type for unary +: '" + PyValues.typeName(v) + "'");
                }
                yield v instanceof Boolean b ? (Object) (b ? 1L : 0L) : v;
            }
        };
    }

    private Object binary(Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        switch (b.op()) {
            case "and" -> {
                return PyValues.truthy(left) ? eval(b.right(), scope) : left;
            }
            case "or" -> {
                return PyValues.truthy(left) ? left : eval(b.right(), scope);
            }
            default -> { }
        }
        Object right = eval(b.right(), scope);
        return switch (b.op()) {
            case "~" -> {
                String l = PyValues.str(left);
                String r = PyValues.str(right);
                checkSize((long) l.length() + r.length());
                yield l + r;
            }
            case "+" -> {
                if (left instanceof String l && right instanceof String r) {
                    if (isMarkup(b.left()) != isMarkup(b.right())) {
                        // Python's Markup + str escapes the plain operand; functionary's template depends on it.
                        left = isMarkup(b.left()) ? l : Filters.escape(l);
                        right = isMarkup(b.right()) ? r : Filters.escape(r);
                        l = (String) left;
                        r = (String) right;
                    }
                    checkSize((long) l.length() + r.length());
                } else if (PyValues.isSequence(left) && PyValues.isSequence(right)) {
                    tick(PyValues.length(left) + PyValues.length(right));
                }
                yield PyValues.add(left, right);
            }
            case "-" -> PyValues.sub(left, right);
            case "*" -> {
                sizeRepetition(left, right);
                yield PyValues.mul(left, right);
            }
            case "/" -> PyValues.div(left, right);
            case "//" -> PyValues.floorDiv(left, right);
            case "%" -> left instanceof String s ? checked(PyFormat.percent(s, right)) : PyValues.mod(left, right);
            case "**" -> PyValues.pow(left, right);
            default -> throw new IllegalStateException(b.op());
        };
    }

    /**
     * Whether an expression yields a Jinja {@code Markup} (a string marked safe). Tracked statically, on the
     * expression, because only {@code +} treats such strings differently.
     */
    private static boolean isMarkup(Expr e) {
        return e instanceof Filter f && List.of("safe", "e", "escape", "forceescape").contains(f.name())
                || e instanceof Binary b && b.op().equals("+") && (isMarkup(b.left()) || isMarkup(b.right()));
    }

    /** Refuses {@code 'x' * 10**12} before allocating it. */
    private void sizeRepetition(Object left, Object right) {
        Object seq = PyValues.isIntegral(left) ? right : left;
        Object times = PyValues.isIntegral(left) ? left : right;
        if (PyValues.isNumber(seq) || !PyValues.isIntegral(times)) {
            return;
        }
        long n = Math.max(0, PyValues.toLong(times));
        if (seq instanceof String s) {
            checkSize(s.isEmpty() ? 0 : Math.multiplyHigh(s.length(), n) != 0 ? Long.MAX_VALUE : s.length() * n);
        } else if (PyValues.isSequence(seq)) {
            long len = PyValues.length(seq);
            tick(len == 0 ? 0 : Math.multiplyHigh(len, n) != 0 ? Long.MAX_VALUE / 2 : len * n);
        }
    }

    private Object compare(Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i), scope);
            String op = c.ops().get(i);
            boolean ok = switch (op) {
                case "==" -> PyValues.eq(left, right);
                case "!=" -> !PyValues.eq(left, right);
                case "<" -> PyValues.compare(left, right, op) < 0;
                case "<=" -> PyValues.compare(left, right, op) <= 0;
                case ">" -> PyValues.compare(left, right, op) > 0;
                case ">=" -> PyValues.compare(left, right, op) >= 0;
                case "in" -> PyValues.contains(right, left);
                case "not in" -> !PyValues.contains(right, left);
                default -> throw new IllegalStateException(op);
            };
            if (!ok) {
                return false;
            }
            left = right;
        }
        return true;
    }

    // ---------------------------------------------------------------- globals

    private void defineGlobals() {
        global("range", (in, args, kw) -> range(args));
        global("namespace", (in, args, kw) -> {
            var ns = new Namespace();
            ns.attrs.putAll(dict(args, kw));
            return ns;
        });
        global("dict", (in, args, kw) -> dict(args, kw));
        global("raise_exception", (in, args, kw) -> {
            throw new TemplateException(TemplateException.Kind.RAISED,
                    args.isEmpty() ? "raise_exception called" : PyValues.str(args.getFirst()));
        });
        global("strftime_now", (in, args, kw) -> PyFormat.strftime(
                new Args("strftime_now", args, kw).string(0, "format", ""), ZonedDateTime.now(options.clock())));
        global("joiner", (in, args, kw) -> {
            String sep = new Args("joiner", args, kw).string(0, "sep", ", ");
            boolean[] used = {false};
            return (Callable) (in2, a2, k2) -> {
                boolean first = !used[0];
                used[0] = true;
                return first ? "" : sep;
            };
        });
    }

    private void global(String name, Callable fn) {
        globals.vars.put(name, fn);
    }

    private List<Object> range(List<Object> args) {
        if (args.isEmpty() || args.size() > 3) {
            throw TemplateException.runtime("range expected 1 to 3 arguments, got " + args.size());
        }
        long start = args.size() > 1 ? PyValues.toLong(args.get(0)) : 0;
        long stop = PyValues.toLong(args.size() > 1 ? args.get(1) : args.get(0));
        long step = args.size() > 2 ? PyValues.toLong(args.get(2)) : 1;
        if (step == 0) {
            throw TemplateException.runtime("range() arg 3 must not be zero");
        }
        double count = Math.max(0, Math.ceil(((double) stop - start) / step));
        // Charged before allocating, so range(10**12) fails fast instead of exhausting memory.
        tick((long) Math.min(count, Long.MAX_VALUE / 2));
        var out = new ArrayList<Object>((int) count);
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(i);
        }
        return out;
    }

    private static Map<Object, Object> dict(List<Object> args, Map<String, Object> kw) {
        var map = new LinkedHashMap<Object, Object>();
        for (Object arg : args) {
            Map<Object, Object> m = PyValues.asMap(arg);
            if (m != null) {
                map.putAll(m);
            } else if (arg instanceof Namespace ns) {
                map.putAll(ns.attrs);
            } else {
                for (Object pair : PyValues.iterate(arg)) {
                    List<Object> kv = PyValues.elements(pair);
                    if (kv == null || kv.size() != 2) {
                        throw TemplateException.runtime("dictionary update sequence element has wrong length");
                    }
                    map.put(kv.get(0), kv.get(1));
                }
            }
        }
        map.putAll(kw);
        return map;
    }
}
