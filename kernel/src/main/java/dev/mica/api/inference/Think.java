package dev.mica.api.inference;

/**
 * Whether a thinking model should think, and how hard ("low", "medium", "high"; null: default).
 * {@code budgetTokens} (0: none) caps the reasoning: once it has taken that many tokens, the engine
 * closes the think block itself and the answer begins (Anthropic's {@code thinking.budget_tokens}).
 */
public record Think(boolean enabled, String level, int budgetTokens) {
    public static final Think ON = new Think(true, null);
    public static final Think OFF = new Think(false, null);

    public Think {
        if (budgetTokens < 0) throw new IllegalArgumentException("a thinking budget cannot be negative: " + budgetTokens);
    }

    public Think(boolean enabled, String level) {
        this(enabled, level, 0);
    }
}
