package dev.mica.api.backend;

/** Restricts what a sampler may produce. Backends without grammar support refuse it. */
public sealed interface Constraint {
    /** A GBNF grammar as llama.cpp reads it. */
    record Grammar(String gbnf, String root) implements Constraint {}
}
