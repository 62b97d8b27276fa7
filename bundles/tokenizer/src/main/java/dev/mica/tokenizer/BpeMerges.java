package dev.mica.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A BPE merge list and the merging of one word's symbols by it, lowest rank first, leftmost first
 * among equals: llama.cpp's llm_tokenizer_bpe_session and Hugging Face's Word::merge_all, which agree.
 *
 * <p>Merges are looked up by the symbols' texts. To avoid building strings while merging, every
 * text that occurs in a merge gets an int "part" id: a token's own id when the text is a token,
 * else an id past the vocabulary. The table maps a pair of parts to the merge's rank and the part
 * of the merged text (-1 if that text is neither a token nor part of any merge: it can merge no
 * further, and is then no token either).
 */
final class BpeMerges {
    private static final long NONE = -1L;

    private final Map<String, Integer> vocabulary;
    private final Map<String, Integer> extraParts = new HashMap<>();
    private final int firstExtra;
    private final PairTable table;

    /**
     * @param vocabulary token text to id (byte strings, or Java strings for tokenizer.json models:
     *                   parts only need one spelling of each text)
     * @param merges     "left right" pairs in rank order; a pair seen again keeps its first rank
     */
    BpeMerges(Map<String, Integer> vocabulary, List<String[]> merges) {
        this.vocabulary = vocabulary;
        int maxId = -1;
        for (int id : vocabulary.values()) {
            maxId = Math.max(maxId, id);
        }
        this.firstExtra = maxId + 1;
        for (String[] merge : merges) {
            intern(merge[0]);
            intern(merge[1]);
        }
        this.table = new PairTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] merge = merges.get(rank);
            int result = part(merge[0] + merge[1]);
            table.putIfAbsent(part(merge[0]), part(merge[1]), ((long) rank << 32) | (result & 0xFFFF_FFFFL));
        }
    }

    private void intern(String text) {
        if (!vocabulary.containsKey(text) && !extraParts.containsKey(text)) {
            extraParts.put(text, firstExtra + extraParts.size());
        }
    }

    /** The part id of a text: its token id, its id as a merge part, or -1. */
    int part(String text) {
        Integer id = vocabulary.get(text);
        if (id != null) {
            return id;
        }
        id = extraParts.get(text);
        return id == null ? -1 : id;
    }

    /** The token a part stands for, or -1 when its text is not a token. */
    int token(int part) {
        return part >= 0 && part < firstExtra ? part : -1;
    }

    int size() {
        return table.size();
    }

    /**
     * One word being merged. Not thread-safe: each encode call uses its own. Symbols are added in
     * text order with their part and byte length; after {@link #merge()} the surviving symbols are
     * read in order through {@link #first()} / {@link #next(int)}.
     */
    final class Word {
        private int[] part = new int[64];
        private int[] length = new int[64];
        private int[] prev = new int[64];
        private int[] next = new int[64];
        private int count;
        private final BigramQueue queue = new BigramQueue();

        void clear() {
            count = 0;
            queue.clear();
        }

        void add(int symbolPart, int byteLength) {
            if (count == part.length) {
                int n = count * 2;
                part = Arrays.copyOf(part, n);
                length = Arrays.copyOf(length, n);
                prev = Arrays.copyOf(prev, n);
                next = Arrays.copyOf(next, n);
            }
            part[count] = symbolPart;
            length[count] = byteLength;
            prev[count] = count - 1;
            next[count] = -1;
            if (count > 0) {
                next[count - 1] = count;
            }
            count++;
        }

        void merge() {
            for (int i = 1; i < count; i++) {
                addBigram(i - 1, i);
            }
            while (!queue.isEmpty()) {
                int left = queue.left();
                int right = queue.right();
                int mergedSize = queue.mergedSize();
                queue.pop();
                // Stale: one side was merged away, or the right side grew since this was queued.
                if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != mergedSize) {
                    continue;
                }
                part[left] = (int) table.get(part[left], part[right], NONE);
                length[left] += length[right];
                length[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = left;
                }
                addBigram(prev[left], left);
                addBigram(left, next[left]);
            }
        }

        private void addBigram(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            long merge = table.get(part[left], part[right], NONE);
            if (merge != NONE) {
                queue.push((int) (merge >>> 32), left, right, length[left] + length[right]);
            }
        }

        /** The first surviving symbol (-1 for an empty word). */
        int first() {
            return count == 0 ? -1 : 0;
        }

        int next(int symbol) {
            return next[symbol];
        }

        int part(int symbol) {
            return part[symbol];
        }

        int length(int symbol) {
            return length[symbol];
        }
    }

    Word newWord() {
        return new Word();
    }
}
