package dev.mica.graph.grammar;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * llama.cpp's pushdown matcher over code points: where the text may be in the grammar is a set of
 * stacks of grammar positions, each with a terminal (a character class or a token) on top, or
 * empty once the start rule is complete. A code point moves every stack whose class takes it past
 * that class, then expands rule references until terminals are on top again.
 *
 * <p>Stack sets are interned and remember where each code point takes them. Those transitions
 * depend only on the immutable rules, so they never go stale; masking a vocabulary repeats the
 * same few of them hundreds of thousands of times. The memory is bounded: past
 * {@value #MAX_STATES} sets a new generation starts and the old one is left to the collector.
 */
final class Pushdown {
    private static final int MAX_STATES = 20_000;

    final Grammar g;
    private Map<State, State> interned = new HashMap<>();
    private int generation;

    Pushdown(Grammar g) {
        this.g = g;
    }

    /** A stack of grammar positions, top first; shared tails, compared by content. */
    static final class Stack {
        static final Stack EMPTY = new Stack(-1, null);
        final int top;
        final Stack below;
        private final int hash;

        private Stack(int top, Stack below) {
            this.top = top;
            this.below = below;
            this.hash = below == null ? 0 : below.hash * 31 + top + 1;
        }

        Stack push(int pos) {
            return new Stack(pos, this);
        }

        boolean isEmpty() {
            return below == null;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) return true;
            if (!(o instanceof Stack s) || s.hash != hash || s.top != top) return false;
            return below == null ? s.below == null : below.equals(s.below);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** A set of stacks: where the text may be. Immutable; equal by content. */
    static final class State {
        final Stack[] stacks;
        final boolean complete;
        final boolean anyCharTop;
        private final int hash;
        private final int generation;
        /** Where each ASCII code point leads (null: not yet known); others in {@link #next}. */
        private State[] ascii;
        private Map<Integer, State> next;

        private State(Stack[] stacks, Grammar g, int generation) {
            this.stacks = stacks;
            this.generation = generation;
            boolean complete = false, anyChar = false;
            int h = 0;
            for (Stack s : stacks) {
                h += s.hash;
                if (s.isEmpty()) complete = true;
                else if (g.isCharHead(s.top)) anyChar = true;
            }
            this.hash = h;
            this.complete = complete;
            this.anyCharTop = anyChar;
        }

        boolean isDead() {
            return stacks.length == 0;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) return true;
            if (!(o instanceof State s) || s.hash != hash || s.stacks.length != stacks.length) return false;
            outer:
            for (Stack a : stacks) {
                for (Stack b : s.stacks) if (a.equals(b)) continue outer;
                return false;
            }
            return true;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** The stacks the start rule begins with, one per alternative. */
    State initial() {
        Set<Stack> out = new LinkedHashSet<>();
        int pos = g.ruleStart[g.root];
        while (true) {
            advance(g.endOfSequence(pos) ? Stack.EMPTY : Stack.EMPTY.push(pos), out);
            while (!g.endOfSequence(pos)) pos++;
            if (g.type[pos] != Grammar.ALT) break;
            pos++;
        }
        return intern(out);
    }

    /** Where {@code cp} takes the stacks with a character class on top; the others end. */
    State step(State s, int cp) {
        if (s.generation != generation) s = intern(new LinkedHashSet<>(Arrays.asList(s.stacks)));
        State known = cp < 128 ? (s.ascii == null ? null : s.ascii[cp]) : (s.next == null ? null : s.next.get(cp));
        if (known != null) return known;
        Set<Stack> out = new LinkedHashSet<>();
        for (Stack stack : s.stacks) {
            if (stack.isEmpty() || !g.isCharHead(stack.top) || !g.matchChar(stack.top, cp)) continue;
            int after = g.afterChar(stack.top);
            advance(g.endOfSequence(after) ? stack.below : stack.below.push(after), out);
        }
        State result = intern(out);
        if (cp < 128) {
            if (s.ascii == null) s.ascii = new State[128];
            s.ascii[cp] = result;
        } else {
            if (s.next == null) s.next = new HashMap<>();
            s.next.put(cp, result);
        }
        return result;
    }

    /** Where {@code token} takes the stacks with a token reference on top; the others end. */
    State stepToken(State s, int token) {
        Set<Stack> out = new LinkedHashSet<>();
        for (Stack stack : s.stacks) {
            if (!stack.isEmpty() && matchesToken(stack.top, token)) {
                int after = stack.top + 1;
                advance(g.endOfSequence(after) ? stack.below : stack.below.push(after), out);
            }
        }
        return intern(out);
    }

    boolean matchesToken(int pos, int token) {
        return g.type[pos] == Grammar.TOKEN ? g.value[pos] == token : g.type[pos] == Grammar.TOKEN_NOT && g.value[pos] != token;
    }

    /** The stacks with a character class on top: those a token's text may move. */
    State charStacks(State s) {
        Set<Stack> out = new LinkedHashSet<>();
        for (Stack stack : s.stacks) if (!stack.isEmpty() && g.isCharHead(stack.top)) out.add(stack);
        return out.size() == s.stacks.length ? s : intern(out);
    }

    State union(State a, State b) {
        if (a.isDead()) return b;
        if (b.isDead()) return a;
        Set<Stack> out = new LinkedHashSet<>(Arrays.asList(a.stacks));
        out.addAll(Arrays.asList(b.stacks));
        return intern(out);
    }

    /** Whether a character read up to {@code partial}, {@code remain} bytes short, may still match here (llama.cpp's test). */
    boolean matchPartial(State s, int partial, int remain) {
        for (Stack stack : s.stacks) {
            if (!stack.isEmpty() && g.isCharHead(stack.top) && g.matchPartial(stack.top, partial, remain)) return true;
        }
        return false;
    }

    /** Whether some code point in [low, high] may match some stack; never false when one does. */
    boolean mayMatchWithin(State s, int low, int high) {
        for (Stack stack : s.stacks) {
            if (!stack.isEmpty() && g.isCharHead(stack.top) && g.mayMatchWithin(stack.top, low, high)) return true;
        }
        return false;
    }

    /** Expands rule references on top until a terminal is there or the stack is empty (llama_grammar_advance_stack). */
    private void advance(Stack start, Set<Stack> out) {
        ArrayDeque<Stack> pending = new ArrayDeque<>();
        Set<Stack> seen = new HashSet<>();
        pending.push(start);
        while (!pending.isEmpty()) {
            Stack s = pending.pop();
            if (!seen.add(s)) continue;
            if (s.isEmpty() || g.type[s.top] != Grammar.RULE_REF) {
                out.add(s);
                continue;
            }
            int sub = g.ruleStart[g.value[s.top]];
            Stack rest = g.endOfSequence(s.top + 1) ? s.below : s.below.push(s.top + 1);
            while (true) {
                pending.push(g.endOfSequence(sub) ? rest : rest.push(sub));
                while (!g.endOfSequence(sub)) sub++;
                if (g.type[sub] != Grammar.ALT) break;
                sub++;
            }
        }
    }

    private State intern(Set<Stack> stacks) {
        State s = new State(stacks.toArray(new Stack[0]), g, generation);
        State known = interned.get(s);
        if (known != null) return known;
        if (interned.size() >= MAX_STATES) {
            interned = new HashMap<>();
            generation++;
            s = new State(s.stacks, g, generation);
        }
        interned.put(s, s);
        return s;
    }
}
