package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The decode loop the engine runs, reduced to what the tests need. */
final class Decoding {
    private Decoding() {}

    /** What a generation produced, and whether it ended on an end-of-generation token. */
    record Output(List<Integer> tokens, boolean endedAtEog) {
        int[] ids() {
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * Decodes tokens into a sequence from {@code start}, in batches as large as the context takes;
     * the last token's logits are wanted. Returns that token's batch row.
     */
    static int prefill(InferenceContext context, int sequence, int[] tokens, int start) throws BackendException {
        Batch batch = new Batch(context.batchCapacity());
        int row = -1;
        for (int i = 0; i < tokens.length; i++) {
            if (batch.size() == batch.capacity()) {
                assertEquals(DecodeResult.OK, context.decode(batch));
                batch.clear();
            }
            row = batch.add(tokens[i], start + i, sequence, i == tokens.length - 1);
        }
        assertEquals(DecodeResult.OK, context.decode(batch));
        return row;
    }

    /** Prefills the prompt, then samples up to {@code max} tokens, stopping at end of generation. */
    static Output generate(InferenceContext context, Sampler sampler, Tokenizer tokenizer, int sequence, int[] prompt,
                           int max) throws BackendException {
        int row = prefill(context, sequence, prompt, 0);
        int position = prompt.length;
        List<Integer> out = new ArrayList<>();
        Batch batch = new Batch(1);
        for (int i = 0; i < max; i++) {
            int token = sampler.sample(row);
            if (tokenizer.isEndOfGeneration(token)) {
                return new Output(out, true);
            }
            out.add(token);
            batch.clear();
            row = batch.add(token, position++, sequence, true);
            assertEquals(DecodeResult.OK, context.decode(batch));
        }
        return new Output(out, false);
    }

    /** The logits of a row, copied out of the context. */
    static float[] logits(InferenceContext context, int row) {
        MemorySegment view = context.logits(row);
        return view.toArray(ValueLayout.JAVA_FLOAT);
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The text of tokens as the pieces stream it. */
    static String text(Tokenizer tokenizer, List<Integer> tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int t : tokens) {
            out.writeBytes(tokenizer.piece(t));
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
