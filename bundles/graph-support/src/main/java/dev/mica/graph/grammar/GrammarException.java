package dev.mica.graph.grammar;

/** A GBNF grammar that cannot be used: bad syntax, an undefined rule, left recursion, no start rule. */
public final class GrammarException extends Exception {
    GrammarException(String message) {
        super(message);
    }
}
