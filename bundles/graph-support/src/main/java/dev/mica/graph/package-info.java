/**
 * What the backends that compute their own graphs (java, mlx) share: sampling on host logits,
 * snapshots in memory they own, and the model info they derive from a file and a forward pass. A library copied privately into each of those bundles.
 */
package dev.mica.graph;
