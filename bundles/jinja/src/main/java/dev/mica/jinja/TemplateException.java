package dev.mica.jinja;

/**
 * A template failed to parse or to render.
 *
 * <p>{@link #detail()} is the bare message (for {@link Kind#RAISED} it is exactly the text the template passed to
 * {@code raise_exception}, which callers usually want to show to API clients as a bad request);
 * {@link #getMessage()} adds the template position when one is known.
 */
public final class TemplateException extends RuntimeException {

    /** Why rendering stopped. */
    public enum Kind {
        /** The source is not valid Jinja. */
        SYNTAX,
        /** An expression failed at run time: a type error, an undefined callee, a bad argument. */
        RUNTIME,
        /** The template called {@code raise_exception(message)}, typically to reject the conversation shape. */
        RAISED,
        /** A safety limit was hit: step budget, output size, recursion depth. */
        LIMIT
    }

    private static final long serialVersionUID = 1L;

    private final Kind kind;
    private final String detail;
    private final int line;
    private final int column;

    public TemplateException(Kind kind, String detail, int line, int column) {
        super(format(detail, line, column));
        this.kind = kind;
        this.detail = detail;
        this.line = line;
        this.column = column;
    }

    TemplateException(Kind kind, String detail) {
        this(kind, detail, 0, 0);
    }

    static TemplateException runtime(String detail) {
        return new TemplateException(Kind.RUNTIME, detail);
    }

    /** This exception with a position attached, unless it already has one. */
    TemplateException at(int atLine, int atColumn) {
        if (line > 0 || atLine <= 0) {
            return this;
        }
        var located = new TemplateException(kind, detail, atLine, atColumn);
        located.setStackTrace(getStackTrace());
        return located;
    }

    private static String format(String detail, int line, int column) {
        if (line <= 0) {
            return detail;
        }
        return detail + " (line " + line + (column > 0 ? ", column " + column : "") + ")";
    }

    public Kind kind() {
        return kind;
    }

    public String detail() {
        return detail;
    }

    /** 1-based line of the failing construct, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column of the failing construct, or 0 when unknown. */
    public int column() {
        return column;
    }
}
