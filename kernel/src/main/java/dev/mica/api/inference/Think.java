package dev.mica.api.inference;

/** Whether a thinking model should think, and how hard ("low", "medium", "high"; null: default). */
public record Think(boolean enabled, String level) {
    public static final Think ON = new Think(true, null);
    public static final Think OFF = new Think(false, null);
}
