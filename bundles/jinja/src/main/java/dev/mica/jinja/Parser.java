package dev.mica.jinja;

import dev.mica.jinja.Ast.*;
import dev.mica.jinja.Lexer.Kind;
import dev.mica.jinja.Lexer.Token;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser following the grammar of Jinja's own parser, operator precedence included (lowest first):
 * ternary {@code if/else}, {@code or}, {@code and}, {@code not}, comparisons and {@code in}, {@code + -}, {@code ~},
 * {@code * / // %}, {@code **} (left-associative, as in Jinja), unary {@code - +}, then postfix access, calls, filters
 * and tests.
 */
final class Parser {

    /** Bounds recursion so a hostile template cannot overflow the stack. */
    private static final int MAX_NESTING = 128;

    private final List<Token> tokens;
    private int p;
    private int nesting;

    Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    List<Stmt> parseTemplate() {
        return parseBody();
    }

    // ---------------------------------------------------------------- statements

    /** Statements up to a block tag named in {@code ends} (left unconsumed after its {@code {%}) or the end. */
    private List<Stmt> parseBody(String... ends) {
        enter();
        var body = new ArrayList<Stmt>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (ends.length > 0) {
                        throw error("unexpected end of template, expected '" + String.join("' or '", ends) + "'", t);
                    }
                    nesting--;
                    return body;
                }
                case TEXT -> {
                    body.add(new Text(t.line(), t.text()));
                    p++;
                }
                case VAR_BEGIN -> {
                    p++;
                    Expr e = parseTuple(true, false);
                    expect(Kind.VAR_END, "}}");
                    body.add(new Emit(t.line(), e));
                }
                case BLOCK_BEGIN -> {
                    Token name = tokens.get(p + 1);
                    if (name.kind() == Kind.NAME && List.of(ends).contains(name.text())) {
                        p++;
                        nesting--;
                        return body;
                    }
                    p++;
                    body.add(parseStatement(t));
                }
                default -> throw error("unexpected '" + t.text() + "'", t);
            }
        }
    }

    private Stmt parseStatement(Token begin) {
        Token name = next();
        if (name.kind() != Kind.NAME) {
            throw error("expected a statement name", name);
        }
        int line = begin.line();
        return switch (name.text()) {
            case "if" -> parseIf(line);
            case "for" -> parseFor(line);
            case "set" -> parseSet(line);
            case "macro" -> parseMacro(line);
            case "call" -> parseCallBlock(line);
            case "filter" -> {
                var filters = parseFilterChain();
                endTag();
                yield new FilterBlock(line, filters, closeBody("endfilter"));
            }
            case "with" -> parseWith(line);
            case "do" -> {
                Expr e = parseTuple(true, false);
                endTag();
                yield new Do(line, e);
            }
            case "generation" -> {
                endTag();
                yield new Block(line, closeBody("endgeneration"));
            }
            case "break" -> {
                endTag();
                yield new Break(line);
            }
            case "continue" -> {
                endTag();
                yield new Continue(line);
            }
            case "include", "import", "from", "extends", "block" ->
                    throw error("'" + name.text() + "' is not supported: chat templates are self-contained", name);
            default -> throw error("unknown statement '" + name.text() + "'", name);
        };
    }

    /** Body up to {@code {% end %}}, consuming the end tag. */
    private List<Stmt> closeBody(String end) {
        var body = parseBody(end);
        p++;
        endTag();
        return body;
    }

    private Stmt parseIf(int line) {
        var branches = new ArrayList<Branch>();
        Expr cond = parseTuple(true, false);
        while (true) {
            endTag();
            var body = parseBody("elif", "else", "endif");
            branches.add(new Branch(cond, body));
            String tag = next().text();
            if (tag.equals("elif")) {
                cond = parseTuple(true, false);
            } else if (tag.equals("else")) {
                endTag();
                return new If(line, branches, closeBody("endif"));
            } else {
                endTag();
                return new If(line, branches, List.of());
            }
        }
    }

    private Stmt parseFor(int line) {
        Target target = parseTarget(false);
        expectName("in");
        Expr iter = parseTuple(false, false);
        Expr filter = null;
        if (peek().isName("if")) {
            p++;
            filter = parseTuple(true, false);
        }
        if (peek().isName("recursive")) {
            throw error("recursive for loops are not supported", peek());
        }
        endTag();
        var body = parseBody("else", "endfor");
        List<Stmt> orElse = List.of();
        if (next().text().equals("else")) {
            endTag();
            orElse = parseBody("endfor");
            p++;
        }
        endTag();
        return new For(line, target, iter, filter, body, orElse);
    }

    private Stmt parseSet(int line) {
        Target target = parseTarget(true);
        if (peek().isOp("=")) {
            p++;
            Expr value = parseTuple(true, false);
            endTag();
            return new Set(line, target, value);
        }
        List<FilterCall> filters = List.of();
        if (peek().isOp("|")) {
            p++;
            filters = parseFilterChain();
        }
        endTag();
        return new SetBlock(line, target, filters, closeBody("endset"));
    }

    private Stmt parseMacro(int line) {
        String name = expectName(null);
        var params = parseParams();
        endTag();
        return new Macro(line, name, params, closeBody("endmacro"));
    }

    private Stmt parseCallBlock(int line) {
        List<Param> callerParams = peek().isOp("(") ? parseParams() : List.of();
        Expr call = parseExpression();
        if (!(call instanceof Call c)) {
            throw error("expected a call after 'call'", peek());
        }
        endTag();
        return new CallBlock(line, c, callerParams, closeBody("endcall"));
    }

    private Stmt parseWith(int line) {
        var targets = new ArrayList<Target>();
        var values = new ArrayList<Expr>();
        while (peek().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) {
                expectOp(",");
            }
            targets.add(parseTarget(false));
            expectOp("=");
            values.add(parseExpression());
        }
        endTag();
        return new With(line, targets, values, closeBody("endwith"));
    }

    private List<Param> parseParams() {
        expectOp("(");
        var params = new ArrayList<Param>();
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            String name = expectName(null);
            Expr dflt = null;
            if (peek().isOp("=")) {
                p++;
                dflt = parseExpression();
            }
            params.add(new Param(name, dflt));
        }
        p++;
        return params;
    }

    /** {@code a}, {@code a, b}, {@code (a, b)} and, where allowed, {@code ns.attr}. */
    private Target parseTarget(boolean allowAttr) {
        var items = new ArrayList<Target>();
        boolean tuple = false;
        do {
            if (peek().isOp("(")) {
                p++;
                items.add(parseTarget(false));
                expectOp(")");
            } else {
                String name = expectName(null);
                if (allowAttr && peek().isOp(".")) {
                    p++;
                    items.add(new AttrTarget(new Var(name), expectName(null)));
                } else {
                    items.add(new NameTarget(name));
                }
            }
            if (!peek().isOp(",")) {
                break;
            }
            p++;
            tuple = true;
        } while (peek().kind() == Kind.NAME || peek().isOp("("));
        return tuple ? new TupleTarget(items) : items.getFirst();
    }

    private List<FilterCall> parseFilterChain() {
        var filters = new ArrayList<FilterCall>();
        while (true) {
            String name = dottedName();
            filters.add(new FilterCall(name, peek().isOp("(") ? parseArgs() : List.of()));
            if (!peek().isOp("|")) {
                return filters;
            }
            p++;
        }
    }

    // ---------------------------------------------------------------- expressions

    Expr parseExpression() {
        enter();
        Expr e = parseOr();
        while (peek().isName("if")) {
            p++;
            Expr cond = parseOr();
            Expr orElse = null;
            if (peek().isName("else")) {
                p++;
                orElse = parseExpression();
            }
            e = new Cond(cond, e, orElse);
        }
        nesting--;
        return e;
    }

    /**
     * A comma-separated expression list: a single expression stays itself, otherwise it becomes a tuple. Without
     * {@code withCond} the ternary is not parsed, so a for loop's {@code if} filter is left alone.
     */
    private Expr parseTuple(boolean withCond, boolean parenthesized) {
        var items = new ArrayList<Expr>();
        boolean comma = false;
        while (true) {
            if (!items.isEmpty()) {
                if (!peek().isOp(",")) {
                    break;
                }
                p++;
                comma = true;
            }
            Token t = peek();
            if (t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.kind() == Kind.EOF || t.isOp(")")
                    || (!items.isEmpty() && (t.isName("if") || t.isName("recursive")))) {
                break;
            }
            items.add(withCond ? parseExpression() : parseOr());
        }
        if (items.isEmpty() && !parenthesized) {
            throw error("expected an expression", peek());
        }
        return items.size() == 1 && !comma ? items.getFirst() : new TupleLit(items);
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (peek().isName("or")) {
            p++;
            left = new Binary("or", left, parseAnd());
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (peek().isName("and")) {
            p++;
            left = new Binary("and", left, parseNot());
        }
        return left;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            p++;
            enter();
            Expr operand = parseNot();
            nesting--;
            return new Unary("not", operand);
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Expr first = parseMath1();
        var ops = new ArrayList<String>();
        var rest = new ArrayList<Expr>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && List.of("==", "!=", "<", "<=", ">", ">=").contains(t.text())) {
                p++;
                ops.add(t.text());
            } else if (t.isName("in")) {
                p++;
                ops.add("in");
            } else if (t.isName("not") && tokens.get(p + 1).isName("in")) {
                p += 2;
                ops.add("not in");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            left = new Binary(next().text(), left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (peek().isOp("~")) {
            p++;
            left = new Binary("~", left, parseMath2());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (peek().kind() == Kind.OP && List.of("*", "/", "//", "%").contains(peek().text())) {
            left = new Binary(next().text(), left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (peek().isOp("**")) {
            p++;
            left = new Binary("**", left, parseUnary(true));
        }
        return left;
    }

    /** Jinja applies filters after unary minus: {@code -x|abs} is {@code abs(-x)}. */
    private Expr parseUnary(boolean withFilter) {
        Expr node;
        if (peek().isOp("-") || peek().isOp("+")) {
            String op = next().text();
            enter();
            node = new Unary(op, parseUnary(false));
            nesting--;
        } else {
            node = parsePostfix(parsePrimary());
        }
        return withFilter ? parseFilterExpr(node) : node;
    }

    private Expr parsePrimary() {
        Token t = next();
        return switch (t.kind()) {
            case NAME -> switch (t.text()) {
                case "true", "True" -> new Const(true);
                case "false", "False" -> new Const(false);
                case "none", "None" -> new Const(null);
                default -> new Var(t.text());
            };
            case STRING -> {
                var sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) {
                    sb.append(next().text());
                }
                yield new Const(sb.toString());
            }
            case INT -> {
                try {
                    yield new Const(Long.parseLong(t.text()));
                } catch (NumberFormatException e) {
                    throw error("integer literal too large", t);
                }
            }
            case FLOAT -> new Const(Double.parseDouble(t.text()));
            case OP -> switch (t.text()) {
                case "(" -> {
                    enter();
                    Expr e = parseTuple(true, true);
                    expectOp(")");
                    nesting--;
                    yield e;
                }
                case "[" -> new ListLit(parseSequence("]"));
                case "{" -> parseDict();
                default -> throw error("unexpected '" + t.text() + "'", t);
            };
            default -> throw error("unexpected " + describe(t), t);
        };
    }

    private List<Expr> parseSequence(String close) {
        enter();
        var items = new ArrayList<Expr>();
        while (!peek().isOp(close)) {
            if (!items.isEmpty()) {
                expectOp(",");
                if (peek().isOp(close)) {
                    break;
                }
            }
            items.add(parseExpression());
        }
        p++;
        nesting--;
        return items;
    }

    private Expr parseDict() {
        enter();
        var keys = new ArrayList<Expr>();
        var values = new ArrayList<Expr>();
        while (!peek().isOp("}")) {
            if (!keys.isEmpty()) {
                expectOp(",");
                if (peek().isOp("}")) {
                    break;
                }
            }
            keys.add(parseExpression());
            expectOp(":");
            values.add(parseExpression());
        }
        p++;
        nesting--;
        return new DictLit(keys, values);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                p++;
                Token attr = next();
                if (attr.kind() == Kind.NAME) {
                    node = new GetAttr(node, attr.text());
                } else if (attr.kind() == Kind.INT) {
                    node = new GetItem(node, new Const(Long.parseLong(attr.text())));
                } else {
                    throw error("expected an attribute name after '.'", attr);
                }
            } else if (t.isOp("[")) {
                p++;
                node = parseSubscript(node);
            } else if (t.isOp("(")) {
                node = new Call(node, parseArgs());
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript(Expr node) {
        enter();
        Expr[] parts = new Expr[3];
        int part = 0;
        boolean slice = false;
        while (!peek().isOp("]")) {
            if (peek().isOp(":")) {
                p++;
                slice = true;
                if (++part > 2) {
                    throw error("too many ':' in slice", peek());
                }
            } else {
                if (parts[part] != null) {
                    throw error("expected ']'", peek());
                }
                parts[part] = parseExpression();
            }
        }
        p++;
        nesting--;
        if (!slice) {
            if (parts[0] == null) {
                throw error("expected a subscript", peek());
            }
            return new GetItem(node, parts[0]);
        }
        return new Slice(node, parts[0], parts[1], parts[2]);
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            if (peek().isOp("|")) {
                p++;
                String name = dottedName();
                node = new Filter(node, name, peek().isOp("(") ? parseArgs() : List.of());
            } else if (peek().isName("is")) {
                p++;
                boolean negated = false;
                if (peek().isName("not")) {
                    p++;
                    negated = true;
                }
                String name = dottedName();
                List<Arg> args = List.of();
                Token t = peek();
                if (t.isOp("(")) {
                    args = parseArgs();
                } else if ((t.kind() == Kind.NAME && !List.of("else", "or", "and").contains(t.text()))
                        || t.kind() == Kind.STRING || t.kind() == Kind.INT || t.kind() == Kind.FLOAT
                        || t.isOp("[") || t.isOp("{")) {
                    // Jinja's one-argument shorthand: `x is divisibleby 3`, `x is sameas none`.
                    args = List.of(new Arg(null, parsePostfix(parsePrimary()), false, false));
                }
                node = new Test(node, name, args, negated);
            } else if (peek().isOp("(")) {
                node = new Call(node, parseArgs());
            } else {
                return node;
            }
        }
    }

    private List<Arg> parseArgs() {
        expectOp("(");
        enter();
        var args = new ArrayList<Arg>();
        while (!peek().isOp(")")) {
            if (!args.isEmpty()) {
                expectOp(",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            if (peek().isOp("*") || peek().isOp("**")) {
                boolean dbl = next().text().equals("**");
                args.add(new Arg(null, parseExpression(), !dbl, dbl));
            } else if (peek().kind() == Kind.NAME && tokens.get(p + 1).isOp("=")) {
                String name = next().text();
                p++;
                args.add(new Arg(name, parseExpression(), false, false));
            } else {
                args.add(new Arg(null, parseExpression(), false, false));
            }
        }
        p++;
        nesting--;
        return args;
    }

    private String dottedName() {
        var name = new StringBuilder(expectName(null));
        while (peek().isOp(".") && tokens.get(p + 1).kind() == Kind.NAME) {
            p++;
            name.append('.').append(next().text());
        }
        return name.toString();
    }

    // ---------------------------------------------------------------- token helpers

    private void enter() {
        if (++nesting > MAX_NESTING) {
            throw error("template nesting too deep", peek());
        }
    }

    private Token peek() {
        return tokens.get(p);
    }

    private Token next() {
        Token t = tokens.get(p);
        if (t.kind() != Kind.EOF) {
            p++;
        }
        return t;
    }

    private void endTag() {
        expect(Kind.BLOCK_END, "%}");
    }

    private void expect(Kind kind, String what) {
        Token t = next();
        if (t.kind() != kind) {
            throw error("expected '" + what + "' but found " + describe(t), t);
        }
    }

    private void expectOp(String op) {
        Token t = next();
        if (!t.isOp(op)) {
            throw error("expected '" + op + "' but found " + describe(t), t);
        }
    }

    private String expectName(String name) {
        Token t = next();
        if (t.kind() != Kind.NAME || (name != null && !t.text().equals(name))) {
            throw error("expected " + (name == null ? "a name" : "'" + name + "'") + " but found " + describe(t), t);
        }
        return t.text();
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "end of template";
            case TEXT -> "template text";
            case STRING -> "string '" + t.text() + "'";
            default -> "'" + t.text() + "'";
        };
    }

    private static TemplateException error(String message, Token at) {
        return new TemplateException(TemplateException.Kind.SYNTAX, message, at.line(), at.col());
    }
}
