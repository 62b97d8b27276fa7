package dev.mica.cache;

import dev.mica.api.cache.CacheEntry;
import dev.mica.api.cache.EvictionPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A radix tree of token sequences: the cache's knowledge of what state exists and where. Each node
 * holds one edge of tokens. A node is <em>resident</em> when the backend's KV memory holds its
 * cells (a resident node's ancestors are resident too: attention state needs its whole prefix), and
 * may carry a <em>checkpoint</em>, a host-memory snapshot of the whole state at its end, which is
 * what recurrent and hybrid models resume from.
 *
 * <p>Budgets are enforced on every insert: resident cells and checkpoint bytes never exceed them.
 * Entries held by a running request ({@link #lease}) and the prefixes they depend on are never
 * offered to the policy. Not thread-safe: the owner serializes access.
 */
public final class PrefixTree {
    private final Node root = new Node(null, new int[0], 0);
    private final EvictionPolicy.Ranking ranking;
    private final LongSupplier clock;
    private final long cellBytes;
    private long residentBudget;
    private long hostBudget;
    private long residentCells;
    private long hostBytes;
    private long evictions;
    private final List<Eviction> evictionLog = new ArrayList<>();
    private EvictionListener listener = e -> {};

    /**
     * What was evicted, for the backend to free and for metrics: the entry covers tokens
     * [depth − tokens, depth) of {@code path}.
     */
    public record Eviction(CacheEntry.Tier tier, int depth, int tokens, long bytes, Object handle, int[] path) {}

    @FunctionalInterface
    public interface EvictionListener {
        void evicted(Eviction eviction);
    }

    /** The result of a lookup: how much of a prompt is resident, and the deepest checkpoint on its path. */
    public record Match(int residentTokens, int checkpointTokens, Object checkpointHandle) {}

    /**
     * @param cellBytes bytes one KV cell takes in the backend, so policies compare resident and
     *     host entries in one unit
     */
    public PrefixTree(EvictionPolicy.Ranking ranking, long residentBudgetCells, long hostBudgetBytes, long cellBytes, LongSupplier clock) {
        this.ranking = ranking;
        this.cellBytes = cellBytes;
        this.residentBudget = residentBudgetCells;
        this.hostBudget = hostBudgetBytes;
        this.clock = clock;
    }

    public void onEviction(EvictionListener listener) {
        this.listener = listener;
    }

    /**
     * Finds the longest resident prefix of {@code tokens} and the deepest checkpoint at or before
     * {@code limit} tokens, and marks the path used (a hit for each node reused).
     */
    public Match lookup(int[] tokens, int limit) {
        long now = clock.getAsLong();
        Node node = root;
        int pos = 0;
        int resident = 0;
        Node checkpoint = null;
        while (pos < tokens.length) {
            Node child = node.children.get(tokens[pos]);
            if (child == null) break;
            int common = commonPrefix(child.edge, tokens, pos);
            if (common < child.edge.length) {
                if (child.holders > 0) resident = pos + common;
                break;
            }
            pos += common;
            node = child;
            node.lastUse = now;
            node.hits++;
            if (node.holders > 0) resident = pos;
            if (node.checkpoint != null && node.depth <= limit) checkpoint = node;
        }
        return new Match(Math.min(resident, limit), checkpoint == null ? 0 : checkpoint.depth, checkpoint == null ? null : checkpoint.checkpoint);
    }

    /** Records that the backend now holds cells for all of {@code tokens}, evicting to stay in budget. */
    public void insertResident(int[] tokens) {
        Node node = path(tokens, tokens.length);
        for (Node n = node; n != root && n.holders == 0; n = n.parent) {
            n.holders = 1;
            residentCells += n.edge.length;
        }
        enforce();
    }

    /**
     * One more sequence of the backend holds {@code tokens[0, length)}. A node stays resident while
     * any sequence holds it, so a prefix shared by several sequences (cells shared in a unified KV)
     * counts once. Does not evict: call {@link #trim} once the holders are up to date.
     */
    public void hold(int[] tokens, int length) {
        if (length == 0) return;
        for (Node n = path(tokens, length); n != root; n = n.parent) {
            if (n.holders++ == 0) residentCells += n.edge.length;
        }
    }

    /** A sequence that held {@code tokens[0, length)} now keeps only its first {@code keep} tokens. */
    public void release(int[] tokens, int length, int keep) {
        if (length <= keep) return;
        Node stop = path(tokens, keep, false);
        Node n = path(tokens, length, false);
        while (n != stop) {
            Node parent = n.parent;
            if (n.holders > 0 && --n.holders == 0) residentCells -= n.edge.length;
            prune(n);
            n = parent;
        }
        prune(stop);
    }

    /** Evicts until every budget holds again. */
    public void trim() {
        enforce();
    }

    /**
     * Records a checkpoint (a state snapshot of {@code bytes}) at the end of the first
     * {@code length} tokens. {@code handle} is the caller's reference to the snapshot, returned by
     * {@link #lookup} and by eviction so the caller can use or free it.
     */
    public void insertCheckpoint(int[] tokens, int length, long bytes, Object handle) {
        Node node = path(tokens, length);
        if (node.checkpoint != null) {
            listener.evicted(new Eviction(CacheEntry.Tier.HOST, node.depth, node.edge.length, node.checkpointBytes, node.checkpoint, pathOf(node)));
            hostBytes -= node.checkpointBytes;
        }
        node.checkpoint = handle;
        node.checkpointBytes = bytes;
        hostBytes += bytes;
        // only the host budget: a checkpoint is taken mid-request, when the resident state is in flux
        enforceHost();
    }

    /** Holds the path of {@code tokens} against eviction until the lease is closed. */
    public Lease lease(int[] tokens, int length) {
        Node node = path(tokens, length);
        for (Node n = node; n != null; n = n.parent) n.leases++;
        return new Lease(node);
    }

    public final class Lease implements AutoCloseable {
        private Node node;

        private Lease(Node node) {
            this.node = node;
        }

        @Override
        public void close() {
            if (node == null) return;
            for (Node n = node; n != null; n = n.parent) n.leases--;
            node = null;
            enforce();
        }
    }

    /** Changes the budgets (an experiment re-splitting them); evicts at once if now over. */
    public void budgets(long residentCells, long hostBytes) {
        this.residentBudget = residentCells;
        this.hostBudget = hostBytes;
        enforce();
    }

    public long residentCells() {
        return residentCells;
    }

    public long hostBytes() {
        return hostBytes;
    }

    public long evictions() {
        return evictions;
    }

    /** Forgets everything resident, e.g. when the backend's context was recreated. Checkpoints stay. */
    public void dropResident() {
        dropResident(root);
        residentCells = 0;
        prune(root);
    }

    private void dropResident(Node n) {
        n.holders = 0;
        for (Node c : n.children.values()) dropResident(c);
    }

    // --- eviction ------------------------------------------------------------------------------

    private void enforce() {
        while (residentCells > residentBudget) {
            Node victim = cheapest(candidatesResident(), CacheEntry.Tier.RESIDENT);
            if (victim == null) break; // all held by running requests: they release soon
            residentCells -= victim.edge.length;
            victim.holders = 0;
            evicted(victim, CacheEntry.Tier.RESIDENT, victim.edge.length, null);
            prune(victim);
        }
        enforceHost();
    }

    private void enforceHost() {
        while (hostBytes > hostBudget) {
            Node victim = cheapest(candidatesHost(), CacheEntry.Tier.HOST);
            if (victim == null) break;
            Object handle = victim.checkpoint;
            long bytes = victim.checkpointBytes;
            hostBytes -= bytes;
            victim.checkpoint = null;
            victim.checkpointBytes = 0;
            evicted(victim, CacheEntry.Tier.HOST, bytes, handle);
            prune(victim);
        }
    }

    private void evicted(Node victim, CacheEntry.Tier tier, long bytes, Object handle) {
        evictions++;
        Eviction e = new Eviction(tier, victim.depth, victim.edge.length, bytes, handle, pathOf(victim));
        evictionLog.add(e);
        if (evictionLog.size() > 1024) evictionLog.subList(0, 512).clear();
        listener.evicted(e);
    }

    /** Resident nodes no resident child depends on, and no request holds. */
    private List<Node> candidatesResident() {
        List<Node> out = new ArrayList<>();
        collect(root, out, true);
        return out;
    }

    private List<Node> candidatesHost() {
        List<Node> out = new ArrayList<>();
        collect(root, out, false);
        return out;
    }

    private static void collect(Node n, List<Node> out, boolean resident) {
        for (Node c : n.children.values()) {
            if (resident) {
                if (c.holders == 0) continue;
                boolean residentChild = c.children.values().stream().anyMatch(x -> x.holders > 0);
                if (!residentChild && c.leases == 0) out.add(c);
            } else if (c.checkpoint != null && c.leases == 0) {
                out.add(c);
            }
            collect(c, out, resident);
        }
    }

    private Node cheapest(List<Node> candidates, CacheEntry.Tier tier) {
        Node best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (Node n : candidates) {
            n.viewTier = tier;
            double s = ranking.score(n);
            // ties go to the deeper entry, then the older one: the least shared, least recent state
            if (best == null || s < bestScore || (s == bestScore && (n.depth > best.depth || (n.depth == best.depth && n.created < best.created)))) {
                best = n;
                bestScore = s;
            }
        }
        if (best != null) {
            best.viewTier = tier;
            ranking.evicted(best, bestScore);
        }
        return best;
    }

    /** Removes nodes that hold nothing and lead nowhere, and re-joins edges split for them. */
    private void prune(Node n) {
        while (n != root && n.holders == 0 && n.checkpoint == null && n.children.isEmpty() && n.leases == 0) {
            Node parent = n.parent;
            parent.children.remove(n.edge[0]);
            n = parent;
        }
    }

    // --- structure -------------------------------------------------------------------------

    /** The node ending exactly at {@code length} tokens, created (splitting an edge) if needed. */
    private Node path(int[] tokens, int length) {
        return path(tokens, length, true);
    }

    /** As {@link #path(int[], int)}; {@code touch} false leaves the nodes' last use as it was (a release is no use). */
    private Node path(int[] tokens, int length, boolean touch) {
        if (length < 0 || length > tokens.length) throw new IllegalArgumentException("length " + length + " of " + tokens.length);
        long now = clock.getAsLong();
        Node node = root;
        int pos = 0;
        while (pos < length) {
            Node child = node.children.get(tokens[pos]);
            if (child == null) {
                Node leaf = new Node(node, Arrays.copyOfRange(tokens, pos, length), now);
                node.addChild(leaf);
                return leaf;
            }
            int common = commonPrefix(child.edge, tokens, pos, length);
            if (common < child.edge.length) {
                child = split(child, common, now);
            }
            pos += common;
            node = child;
            if (touch) node.lastUse = now;
        }
        return node;
    }

    /** Splits a node's edge after {@code at} tokens; the upper half keeps residency and leases. */
    private Node split(Node n, int at, long now) {
        Node parent = n.parent;
        Node upper = new Node(parent, Arrays.copyOfRange(n.edge, 0, at), n.created);
        upper.holders = n.holders;
        upper.leases = n.leases;
        upper.hits = n.hits;
        upper.lastUse = Math.max(n.lastUse, now);
        parent.children.put(upper.edge[0], upper);
        n.edge = Arrays.copyOfRange(n.edge, at, n.edge.length);
        n.parent = upper;
        upper.children.put(n.edge[0], n);
        upper.depth = parent.depth + upper.edge.length;
        return upper;
    }

    private static int commonPrefix(int[] edge, int[] tokens, int from) {
        return commonPrefix(edge, tokens, from, tokens.length);
    }

    private static int commonPrefix(int[] edge, int[] tokens, int from, int end) {
        int n = Math.min(edge.length, end - from);
        int i = 0;
        while (i < n && edge[i] == tokens[from + i]) i++;
        return i;
    }

    /** The tokens from the root to the end of a node. */
    private static int[] pathOf(Node node) {
        int[] out = new int[node.depth];
        for (Node n = node; n.parent != null; n = n.parent) System.arraycopy(n.edge, 0, out, n.depth - n.edge.length, n.edge.length);
        return out;
    }

    /** Nodes in the tree, for tests and metrics. */
    public int nodes() {
        return count(root) - 1;
    }

    private static int count(Node n) {
        int c = 1;
        for (Node x : n.children.values()) c += count(x);
        return c;
    }

    private final class Node implements CacheEntry {
        Node parent;
        int[] edge;
        int depth;
        final Map<Integer, Node> children = new HashMap<>(4);
        final long created;
        long lastUse;
        long hits;
        /** Sequences holding this node's cells (for a replay without sequences: 1 while resident). */
        int holders;
        boolean everShared;
        Object checkpoint;
        long checkpointBytes;
        int leases;
        Tier viewTier = Tier.RESIDENT;

        Node(Node parent, int[] edge, long now) {
            this.parent = parent;
            this.edge = edge;
            this.depth = (parent == null ? 0 : parent.depth) + edge.length;
            this.created = now;
            this.lastUse = now;
        }

        void addChild(Node c) {
            children.put(c.edge[0], c);
            if (children.size() >= 2) everShared = true;
        }

        @Override
        public Tier tier() {
            return viewTier;
        }

        @Override
        public int depth() {
            return depth;
        }

        @Override
        public int tokens() {
            return edge.length;
        }

        @Override
        public long bytes() {
            return viewTier == Tier.RESIDENT ? edge.length * cellBytes : checkpointBytes;
        }

        @Override
        public long hits() {
            return hits;
        }

        @Override
        public long lastUse() {
            return lastUse;
        }

        @Override
        public long created() {
            return created;
        }

        @Override
        public int children() {
            return children.size();
        }

        @Override
        public boolean shared() {
            return everShared || children.size() >= 2;
        }
    }
}
