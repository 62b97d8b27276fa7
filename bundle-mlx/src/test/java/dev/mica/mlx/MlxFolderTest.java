package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an MLX-format folder says before any tensor is read: names, config keys, template. Needs no MLX. */
class MlxFolderTest {
    @TempDir Path dir;

    @Test
    void huggingFaceNamesMapToGgufNames() {
        assertEquals("token_embd", MlxSafetensorsWeights.ggufName("model.embed_tokens"));
        assertEquals("output", MlxSafetensorsWeights.ggufName("lm_head"));
        assertEquals("output_norm", MlxSafetensorsWeights.ggufName("model.norm"));
        assertEquals("blk.12.attn_q", MlxSafetensorsWeights.ggufName("model.layers.12.self_attn.q_proj"));
        assertEquals("blk.0.ffn_down_exps", MlxSafetensorsWeights.ggufName("model.layers.0.mlp.switch_mlp.down_proj"));
        assertEquals("blk.3.ffn_gate_inp", MlxSafetensorsWeights.ggufName("model.layers.3.mlp.gate"));
        assertNull(MlxSafetensorsWeights.ggufName("model.layers.x.self_attn.q_proj"));
        assertNull(MlxSafetensorsWeights.ggufName("model.layers.99999999999.self_attn.q_proj"));
        assertNull(MlxSafetensorsWeights.ggufName("model.rotary_emb.inv_freq"));
    }

    @Test
    void configKeysBecomeGgufKeys() {
        Map<String, Object> m = MlxSafetensorsWeights.metadata("qwen3", Map.of("hidden_size", 1024L, "num_hidden_layers", 28L,
                "num_attention_heads", 16L, "num_key_value_heads", 8L, "head_dim", 128L, "rms_norm_eps", 1e-6, "rope_theta", 1000000.0,
                "intermediate_size", 3072L, "max_position_embeddings", 40960L, "rope_scaling", Map.of("rope_type", "linear", "factor", 2.0)));
        assertEquals("qwen3", m.get("general.architecture"));
        assertEquals(1024L, m.get("qwen3.embedding_length"));
        assertEquals(128L, m.get("qwen3.attention.key_length"));
        assertEquals(1e-6, m.get("qwen3.attention.layer_norm_rms_epsilon"));
        assertEquals("linear", m.get("qwen3.rope.scaling.type"));
        assertEquals(2.0, m.get("qwen3.rope.scaling.factor"));
        assertFalse(m.containsKey("qwen3.expert_count"));
    }

    @Test
    void quantizationSettingsPerLayerOverrideTheDefaults() throws BackendException {
        Map<String, Object> q = Map.of("group_size", 64L, "bits", 4L, "model.layers.0.mlp.down_proj", Map.of("bits", 8L));
        assertEquals(new MlxSafetensorsWeights.QuantSpec(64, 4, "affine"), MlxSafetensorsWeights.QuantSpec.of(q, "model.layers.1.mlp.down_proj"));
        assertEquals(new MlxSafetensorsWeights.QuantSpec(64, 8, "affine"), MlxSafetensorsWeights.QuantSpec.of(q, "model.layers.0.mlp.down_proj"));
        assertEquals(new MlxSafetensorsWeights.QuantSpec(16, 4, "nvfp4"), MlxSafetensorsWeights.QuantSpec.of(Map.of("mode", "nvfp4"), "x"));
        assertThrows(BackendException.class, () -> MlxSafetensorsWeights.QuantSpec.of(Map.of("mode", "q4_k"), "x"));
        assertThrows(BackendException.class, () -> MlxSafetensorsWeights.QuantSpec.of(Map.of("bits", 40L), "x"));
        assertThrows(BackendException.class, () -> MlxSafetensorsWeights.QuantSpec.of(null, "x"));
    }

    @Test
    void chatTemplateFromTheConfigOrTheJinjaFile() throws Exception {
        assertNull(MlxFolder.template(dir));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages }}");
        assertEquals("{{ messages }}", MlxFolder.template(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                + " {\"name\": \"default\", \"template\": \"D\"}]}");
        assertEquals("D", MlxFolder.template(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"S\"}");
        assertEquals("S", MlxFolder.template(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": ");
        assertThrows(BackendException.class, () -> MlxFolder.template(dir));
    }

    /** sentence-transformers' Pooling module, where modules.json puts it (else 1_Pooling), as llama.cpp's converter reads it. */
    @Test
    void poolingFromTheSentenceTransformersModule() throws Exception {
        assertNull(MlxFolder.poolingType(dir), "a folder that declares nothing: the mean, by default");
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"word_embedding_dimension\": 1024, \"pooling_mode_cls_token\": false,"
                + " \"pooling_mode_mean_tokens\": false, \"pooling_mode_lasttoken\": true}");
        assertEquals(3, MlxFolder.poolingType(dir));
        Files.createDirectories(dir.resolve("2_Pool"));
        Files.writeString(dir.resolve("2_Pool/config.json"), "{\"pooling_mode_cls_token\": true}");
        Files.writeString(dir.resolve("modules.json"), "[{\"idx\": 0, \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
                + " {\"idx\": 1, \"path\": \"2_Pool\", \"type\": \"sentence_transformers.models.Pooling\"}]");
        assertEquals(2, MlxFolder.poolingType(dir));
        Files.writeString(dir.resolve("2_Pool/config.json"), "{\"pooling_mode_max_tokens\": true}");
        assertNull(MlxFolder.poolingType(dir), "max pooling has no llama.cpp number");
        Files.writeString(dir.resolve("modules.json"), "[{\"path\": \"../elsewhere\", \"type\": \"sentence_transformers.models.Pooling\"}]");
        assertEquals(3, MlxFolder.poolingType(dir), "a path out of the folder is ignored");
    }

    @Test
    void aFolderNeedsConfigAndSafetensors() throws Exception {
        assertFalse(MlxFolder.is(dir));
        Files.writeString(dir.resolve("config.json"), "{}");
        assertFalse(MlxFolder.is(dir));
        Files.write(dir.resolve("model.safetensors"), new byte[0]);
        assertTrue(MlxFolder.is(dir));
        assertFalse(MlxFolder.is(dir.resolve("model.safetensors")));
    }
}
