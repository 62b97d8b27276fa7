package dev.mica.tokenizer;

/**
 * llama.cpp's SentencePiece (SPM) tokenizer, llm_tokenizer_spm_session: start from UTF-8
 * characters, repeatedly merge the adjacent pair whose joined text is the vocabulary token with the
 * highest score (leftmost among equals), then emit each symbol's token, or its bytes as byte tokens.
 *
 * <p>llama.cpp also keeps a "rev_merge" map to re-split symbols that are not tokens; it can never
 * apply, because a symbol only grows by a merge whose text is a token (and single characters that
 * are not tokens were never merge texts), so it is left out.
 */
final class SentencePiece {
    private final Vocabulary vocabulary;
    private final BigramQueue queue = new BigramQueue();
    private int[] start = new int[64];
    private int[] length = new int[64];
    private int[] prev = new int[64];
    private int[] next = new int[64];
    private int count;
    private byte[] text;

    SentencePiece(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    /** Tokenizes {@code text} (spaces already escaped to "▁") onto {@code out}. */
    void tokenize(byte[] text, IntList out) {
        this.text = text;
        count = 0;
        queue.clear();
        for (int offset = 0; offset < text.length; ) {
            int n = Math.min(Utf8.sequenceLength(text[offset]), text.length - offset);
            addSymbol(offset, n);
            offset += n;
        }
        if (count > 0) {
            next[count - 1] = -1;
        }
        for (int i = 1; i < count; i++) {
            tryAddBigram(i - 1, i);
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
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            tryAddBigram(prev[left], left);
            tryAddBigram(left, next[left]);
        }
        for (int i = count == 0 ? -1 : 0; i != -1; i = next[i]) {
            int token = vocabulary.token(text, start[i], length[i]);
            if (token >= 0) {
                out.add(token);
            } else {
                for (int j = 0; j < length[i]; j++) {
                    out.add(vocabulary.byteToken(text[start[i] + j]));
                }
            }
        }
        this.text = null;
    }

    private void addSymbol(int offset, int n) {
        if (count == start.length) {
            int size = count * 2;
            start = java.util.Arrays.copyOf(start, size);
            length = java.util.Arrays.copyOf(length, size);
            prev = java.util.Arrays.copyOf(prev, size);
            next = java.util.Arrays.copyOf(next, size);
        }
        start[count] = offset;
        length[count] = n;
        prev[count] = count - 1;
        next[count] = count + 1;
        count++;
    }

    private void tryAddBigram(int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int mergedSize = length[left] + length[right];
        int token = vocabulary.token(text, start[left], mergedSize);
        if (token < 0) {
            return;
        }
        queue.push(BigramQueue.descendingScore(vocabulary.score(token)), left, right, mergedSize);
    }
}
