package dev.mica.backend.java;

import dev.mica.api.arch.ArchitectureException;
import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.arch.ModelConfig;
import dev.mica.api.arch.StateLayout;
import dev.mica.api.arch.Step;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.TensorOps;
import dev.mica.api.arch.Weights;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufWriter;
import dev.mica.gguf.SyntheticModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A test architecture small enough to reason about: an embedding, one single-head attention layer
 * over the embeddings (so the logits depend on the sequence's past), and an output projection.
 */
final class Bigram implements ModelArchitecture {
    static final String NAME = "mica-test-bigram";
    static final int WIDTH = 32, VOCAB = 300;

    @Override
    public List<String> names() {
        return List.of(NAME);
    }

    @Override
    public ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) throws ArchitectureException {
        Tensor embeddings = weights.get("token_embd.weight", VOCAB, WIDTH);
        Tensor output = weights.get("output.weight", VOCAB, WIDTH);
        config.integer("embedding_length");
        return new ForwardPass() {
            @Override
            public StateLayout state() {
                return new StateLayout(List.of(new StateLayout.Attention(1, WIDTH, WIDTH)));
            }

            @Override
            public int vocabSize() {
                return VOCAB;
            }

            @Override
            public Tensor forward(Step step) {
                return ops.matmul(hiddenStates(step), output);
            }

            @Override
            public Tensor hiddenStates(Step step) {
                Tensor x = ops.embed(embeddings, step.tokens());
                Tensor heads = ops.reshape(x, step.size(), 1, WIDTH);
                x = ops.add(x, ops.attention(step, 0, heads, heads, heads, (float) (1 / Math.sqrt(WIDTH))));
                return ops.rows(x, step.outputs());
            }
        };
    }

    /** A model file of this architecture, with a SentencePiece-style vocabulary. */
    static Path write(Path file, long seed) throws IOException {
        return write(file, seed, w -> { });
    }

    /** The same, with metadata of the test's own (a pooling type, bidirectional attention). */
    static Path write(Path file, long seed, Consumer<GgufWriter> metadata) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", NAME);
        w.putUInt32(NAME + ".embedding_length", WIDTH);
        w.putUInt32(NAME + ".context_length", 64);
        w.putString("tokenizer.chat_template", "{{ messages }}");
        SyntheticModels.Vocab v = SyntheticModels.spmVocab(VOCAB);
        w.putString("tokenizer.ggml.model", v.model());
        w.putStrings("tokenizer.ggml.tokens", v.tokens());
        w.putFloats("tokenizer.ggml.scores", v.scores());
        w.putInts("tokenizer.ggml.token_type", v.types());
        w.putUInt32("tokenizer.ggml.bos_token_id", v.bos());
        w.putUInt32("tokenizer.ggml.eos_token_id", v.eos());
        metadata.accept(w);
        w.addTensor("token_embd.weight", GgmlType.F32, new long[] {WIDTH, VOCAB}, weights(seed, 0));
        w.addTensor("output.weight", GgmlType.Q8_0, new long[] {WIDTH, VOCAB}, weights(seed, 1));
        w.write(file);
        return file;
    }

    /** The token embeddings of the file {@link #write} makes with this seed, {@code [VOCAB, WIDTH]} row-major. */
    static float[] embeddings(long seed) {
        return weights(seed, 0);
    }

    /** Embeddings (0) and output weights (1) drawn interleaved from one generator, as earlier files of this seed had them. */
    private static float[] weights(long seed, int which) {
        Random r = new Random(seed);
        float[] e = new float[VOCAB * WIDTH], o = new float[VOCAB * WIDTH];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) r.nextGaussian();
            o[i] = (float) r.nextGaussian() * 0.3f;
        }
        return which == 0 ? e : o;
    }
}
