package dev.mica.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.gguf.SyntheticModels.LlamaConfig;
import dev.mica.gguf.SyntheticModels.Vocab;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelsTest {

    @TempDir
    Path dir;

    private static final List<String> REQUIRED = List.of("general.architecture", "general.file_type", "llama.context_length",
            "llama.embedding_length", "llama.block_count", "llama.feed_forward_length", "llama.attention.head_count",
            "llama.attention.head_count_kv", "llama.rope.dimension_count", "llama.attention.layer_norm_rms_epsilon",
            "llama.rope.freq_base", "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
            "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.chat_template");

    @Test
    void tinyModelHasEverythingLlamaCppNeeds() throws IOException {
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0)) {
            LlamaConfig c = LlamaConfig.tiny();
            Path f = dir.resolve("tiny-" + type + ".gguf");
            SyntheticModels.writeLlama(c, type, f);
            GgufFile g = GgufFile.read(f);
            for (String k : REQUIRED) assertNotNull(g.metadata().get(k), k);
            assertEquals("llama", g.architecture());
            assertEquals(switch (type) { case F32 -> "F32"; case F16 -> "F16"; case BF16 -> "BF16"; case Q8_0 -> "Q8_0"; default -> "Q4_0"; },
                    g.fileType());
            assertEquals(c.parameterCount(), g.parameterCount());
            assertEquals(2 + 9 * c.nLayer() + 1, g.tensors().size());
            assertEquals(type, g.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.F32, g.tensor("blk.1.ffn_norm.weight").type());
            assertArrayEquals(new long[] {128, 64}, g.tensor("blk.1.ffn_down.weight").shape());
            assertArrayEquals(new long[] {64, 32}, g.tensor("blk.0.attn_k.weight").shape());
            assertArrayEquals(new long[] {64, 512}, g.tensor("output.weight").shape());
            assertEquals(16, g.integer("llama.rope.dimension_count"));
            assertEquals(GgufValueType.UINT32, g.type("llama.block_count"));
            assertEquals(GgufValueType.FLOAT32, g.type("llama.rope.freq_base"));
            List<Object> tokens = g.array("tokenizer.ggml.tokens");
            assertEquals(512, tokens.size());
            assertEquals("<s>", tokens.get(1));
            assertEquals("<0x0A>", tokens.get(3 + 10));
            assertEquals(6, g.array("tokenizer.ggml.token_type").get(13));
        }
    }

    @Test
    void deterministicPerSeed() throws IOException {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        SyntheticModels.writeLlama(LlamaConfig.tiny(), GgmlType.Q4_0, a);
        SyntheticModels.writeLlama(LlamaConfig.tiny(), GgmlType.Q4_0, b);
        SyntheticModels.writeLlama(LlamaConfig.tiny().withSeed(7), GgmlType.Q4_0, c);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void bpeVocabIsConsistent() {
        Vocab v = SyntheticModels.bpeVocab(1024, 42);
        checkBpe(v, 1024);
        assertEquals(1008, v.bos());
        assertEquals("<|begin_of_text|>", v.tokens().get(v.bos()));
        assertEquals("<|eot_id|>", v.tokens().get(v.eos()));
    }

    @Test
    void llama3SizedVocab() {
        Vocab v = SyntheticModels.bpeVocab(128256, 42);
        checkBpe(v, 128256);
        assertEquals(128000, v.bos());
        assertEquals(128009, v.eos());
        assertEquals("<|start_header_id|>", v.tokens().get(128006));
        assertEquals("<|end_header_id|>", v.tokens().get(128007));
        assertEquals("<|reserved_special_token_247|>", v.tokens().get(128255));
        assertEquals(1235814400L, LlamaConfig.llama1b().parameterCount(), "Llama-3.2-1B has 1,235,814,400 parameters");
    }

    private static void checkBpe(Vocab v, int n) {
        assertEquals(n, v.tokens().size());
        assertEquals(n, v.scores().length);
        assertEquals(n, v.types().length);
        Set<String> seen = new HashSet<>(v.tokens());
        assertEquals(n, seen.size(), "tokens are unique");
        for (String t : v.tokens()) assertFalse(t.contains(" "), "byte-level tokens have no raw space: '" + t + "'");
        assertTrue(v.tokens().contains("\u0120the"), "Ġthe");
        assertTrue(v.tokens().contains("\u010a"), "newline byte token");
        Set<String> made = new HashSet<>();
        for (String m : v.merges()) {
            int sp = m.indexOf(' ', 1);
            String l = m.substring(0, sp), r = m.substring(sp + 1);
            assertTrue(seen.contains(l) && seen.contains(r), m);
            assertTrue(seen.contains(l + r), m);
            assertTrue(made.add(l + r), "each merge makes a new token: " + m);
        }
        assertEquals(n - (n >= 128256 ? 256 : 16) - 256, v.merges().size());
    }

    @Test
    void spmVocab() {
        Vocab v = SyntheticModels.spmVocab(300);
        assertEquals(300, v.tokens().size());
        assertEquals(300, new HashSet<>(v.tokens()).size());
        assertEquals("<unk>", v.tokens().get(0));
        assertEquals("<0xFF>", v.tokens().get(258));
        assertEquals("\u2581", v.tokens().get(259));
        assertTrue(v.scores()[260] < v.scores()[259]);
        assertThrows(IllegalArgumentException.class, () -> LlamaConfig.tiny().withVocab(SyntheticModels.VocabKind.SPM, 100));
    }

    @Test
    void commandLine() throws IOException {
        Path f = dir.resolve("cli.gguf");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = SyntheticModels.run(new String[] {"--preset", "tiny-bpe", "--type", "q8_0", "--n-layer", "3", "--seed=5", "--out", f.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, rc);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("wrote "));
        GgufFile g = GgufFile.read(f);
        assertEquals(3, g.integer("llama.block_count"));
        assertEquals("gpt2", g.string("tokenizer.ggml.model"));
        assertEquals("llama-bpe", g.string("tokenizer.ggml.pre"));
        assertEquals("Q8_0", g.fileType());
        assertNotNull(g.array("tokenizer.ggml.merges"));
        assertTrue(g.string("tokenizer.chat_template").contains("<|start_header_id|>"));
        assertNull(g.tensor("rope_freqs.weight"));
        assertThrows(IllegalArgumentException.class, () -> SyntheticModels.run(new String[] {"--type", "q4_k", "--out", "x"}, System.out, System.err));
        assertThrows(IllegalArgumentException.class, () -> SyntheticModels.run(new String[] {"--preset", "nope", "--out", "x"}, System.out, System.err));
    }
}
