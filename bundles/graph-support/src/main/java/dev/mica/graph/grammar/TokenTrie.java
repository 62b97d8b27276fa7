package dev.mica.graph.grammar;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The tokens' byte strings as a trie, so that masking walks each shared prefix once with the
 * grammar and drops a whole subtree at the first byte the grammar refuses. Nodes are numbered in
 * preorder: a node's first child follows it, its subtree ends before {@code end[node]}, and the
 * tokens whose text ends at a node are {@code ids[tokensFrom[node] .. tokensFrom[node + 1])}.
 */
final class TokenTrie {
    final byte[] label;
    final int[] end;
    private final int[] tokensFrom;
    private final int[] ids;

    private int nodes;
    private byte[] labelBuf = new byte[1024];
    private int[] endBuf = new int[1024];
    private int[] fromBuf = new int[1024];

    /** @param texts each token's bytes; null for tokens that never match text */
    TokenTrie(byte[][] texts) {
        Integer[] order = new Integer[texts.length];
        int n = 0;
        for (int t = 0; t < texts.length; t++) if (texts[t] != null) order[n++] = t;
        Integer[] sorted = Arrays.copyOf(order, n);
        Arrays.sort(sorted, Comparator.comparing((Integer t) -> texts[t], Arrays::compareUnsigned));
        ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = sorted[i];
        build(texts, 0, n, 0, (byte) 0);
        label = Arrays.copyOf(labelBuf, nodes);
        end = Arrays.copyOf(endBuf, nodes);
        tokensFrom = Arrays.copyOf(fromBuf, nodes + 1);
        tokensFrom[nodes] = n;
        labelBuf = null;
        endBuf = fromBuf = null;
    }

    /** The node for the tokens {@code ids[lo, hi)}, which share their first {@code depth} bytes; returns its number. */
    private int build(byte[][] texts, int lo, int hi, int depth, byte b) {
        int node = nodes++;
        if (node == labelBuf.length) {
            labelBuf = Arrays.copyOf(labelBuf, node * 2);
            endBuf = Arrays.copyOf(endBuf, node * 2);
            fromBuf = Arrays.copyOf(fromBuf, node * 2);
        }
        labelBuf[node] = b;
        fromBuf[node] = lo;
        int i = lo;
        while (i < hi && texts[ids[i]].length == depth) i++;
        while (i < hi) {
            byte c = texts[ids[i]][depth];
            int j = i;
            while (j < hi && texts[ids[j]][depth] == c) j++;
            build(texts, i, j, depth + 1, c);
            i = j;
        }
        endBuf[node] = nodes;
        return node;
    }

    boolean hasTokens(int node) {
        return tokensFrom[node + 1] > tokensFrom[node];
    }

    void mark(int node, boolean[] allowed) {
        for (int i = tokensFrom[node]; i < tokensFrom[node + 1]; i++) allowed[ids[i]] = true;
    }

    int nodes() {
        return label.length;
    }
}
