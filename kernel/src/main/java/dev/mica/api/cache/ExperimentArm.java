package dev.mica.api.cache;

/** One arm of an A/B experiment: a policy by name and its share of traffic (and of the budget). */
public record ExperimentArm(String name, String policy, double weight) {
    public ExperimentArm {
        if (weight <= 0 || Double.isNaN(weight) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("arm " + name + ": weight must be positive, got " + weight);
        }
    }
}
