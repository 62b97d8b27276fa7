/**
 * What the backends that compute their own graphs (java, mlx) share: the architecture services
 * they run ({@link dev.mica.graph.Architectures}), a decode's outputs ({@link dev.mica.graph.StepOutputs}), sampling on host logits
 * (under a GBNF grammar too, {@link dev.mica.graph.grammar}), snapshots in memory they own, the
 * model info they derive from a file and a forward pass, and how their embeddings contexts pool
 * ({@link dev.mica.graph.Pooling}), so that a model embeds alike on both. A library copied
 * privately into each of those bundles.
 */
package dev.mica.graph;
