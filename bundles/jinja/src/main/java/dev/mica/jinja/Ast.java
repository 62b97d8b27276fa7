package dev.mica.jinja;

import java.util.List;

/** The syntax tree: immutable records produced by {@link Parser} and walked by {@link Interpreter}. */
final class Ast {

    private Ast() {
    }

    // ---- statements; each knows its line so run-time errors can point at it ----

    sealed interface Stmt permits Text, Emit, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, With, Do, Block,
            Break, Continue {
        int line();
    }

    /** Literal template text. */
    record Text(int line, String text) implements Stmt { }

    /** {@code {{ expr }}}. */
    record Emit(int line, Expr expr) implements Stmt { }

    record If(int line, List<Branch> branches, List<Stmt> orElse) implements Stmt { }

    record Branch(Expr cond, List<Stmt> body) { }

    /** {@code {% for target in iter if filter %} body {% else %} orElse {% endfor %}}. */
    record For(int line, Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> orElse) implements Stmt { }

    /** {@code {% set target = value %}}. */
    record Set(int line, Target target, Expr value) implements Stmt { }

    /** {@code {% set name | filters %} body {% endset %}}. */
    record SetBlock(int line, Target target, List<FilterCall> filters, List<Stmt> body) implements Stmt { }

    record Macro(int line, String name, List<Param> params, List<Stmt> body) implements Stmt { }

    record Param(String name, Expr defaultValue) { }

    /** {@code {% call(params) macro(args) %} body {% endcall %}}: the body becomes the macro's {@code caller()}. */
    record CallBlock(int line, Call call, List<Param> callerParams, List<Stmt> body) implements Stmt { }

    record FilterBlock(int line, List<FilterCall> filters, List<Stmt> body) implements Stmt { }

    record FilterCall(String name, List<Arg> args) { }

    record With(int line, List<Target> targets, List<Expr> values, List<Stmt> body) implements Stmt { }

    /** {@code {% do expr %}}: evaluate for side effects. */
    record Do(int line, Expr expr) implements Stmt { }

    /** A body rendered as is, e.g. transformers' {@code {% generation %}} marker block. */
    record Block(int line, List<Stmt> body) implements Stmt { }

    record Break(int line) implements Stmt { }

    record Continue(int line) implements Stmt { }

    // ---- assignment targets ----

    sealed interface Target permits NameTarget, AttrTarget, TupleTarget { }

    record NameTarget(String name) implements Target { }

    /** {@code ns.attr}: only namespace objects accept it. */
    record AttrTarget(Expr object, String attr) implements Target { }

    record TupleTarget(List<Target> items) implements Target { }

    // ---- expressions ----

    sealed interface Expr permits Const, Var, ListLit, TupleLit, DictLit, GetAttr, GetItem, Slice, Call, Filter, Test,
            Unary, Binary, Compare, Cond { }

    record Const(Object value) implements Expr { }

    record Var(String name) implements Expr { }

    record ListLit(List<Expr> items) implements Expr { }

    record TupleLit(List<Expr> items) implements Expr { }

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr { }

    /** {@code obj.name}: Jinja tries the attribute (a method) first, then the item. */
    record GetAttr(Expr object, String name) implements Expr { }

    /** {@code obj[key]}: Jinja tries the item first, then the attribute. */
    record GetItem(Expr object, Expr key) implements Expr { }

    /** {@code obj[start:stop:step]}, absent parts are null. */
    record Slice(Expr object, Expr start, Expr stop, Expr step) implements Expr { }

    record Call(Expr callee, List<Arg> args) implements Expr { }

    /** A call argument: positional ({@code name == null}), keyword, {@code *iterable} or {@code **mapping}. */
    record Arg(String name, Expr value, boolean star, boolean doubleStar) { }

    record Filter(Expr value, String name, List<Arg> args) implements Expr { }

    record Test(Expr value, String name, List<Arg> args, boolean negated) implements Expr { }

    /** {@code not}, {@code -} or {@code +}. */
    record Unary(String op, Expr operand) implements Expr { }

    /** Arithmetic, {@code ~} concatenation and the short-circuit {@code and}/{@code or}. */
    record Binary(String op, Expr left, Expr right) implements Expr { }

    /** A possibly chained comparison {@code a < b <= c}; ops include {@code in} and {@code not in}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest) implements Expr { }

    /** {@code then if cond else orElse}; a missing else yields undefined. */
    record Cond(Expr cond, Expr then, Expr orElse) implements Expr { }
}
