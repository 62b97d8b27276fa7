/**
 * What the backends that compute their own graphs (java, mlx) share: sampling on host logits and
 * snapshots in memory they own. A library copied privately into each of those bundles.
 */
package dev.mica.graph;
