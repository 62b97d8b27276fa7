/**
 * What the backends that compute their own graphs (java, mlx) share: sampling on host logits
 * (under a GBNF grammar too, {@link dev.mica.graph.grammar}), snapshots in memory they own, and the model info they derive from a file and a forward pass. A library copied privately into each of those bundles.
 */
package dev.mica.graph;
