package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.ModelDetails;
import dev.mica.api.inference.Options;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.fixture.FixtureBackend;
import dev.mica.store.LocalModelStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model folder in the store: what show says without loading it, and where the engine sends it. */
class FolderModelTest {
    @TempDir Path dir;
    private InferenceEngine engine;

    @AfterEach
    void tearDown() {
        if (engine != null) engine.deactivate();
    }

    /** One safetensors file: an int4 linear packed as MLX does (8 rows × 64 values in 8 words a row) and a norm. */
    private static byte[] weights() {
        String h = "{\"__metadata__\":{\"format\":\"mlx\"},"
                + "\"model.layers.0.mlp.up_proj.weight\":{\"dtype\":\"U32\",\"shape\":[8,8],\"data_offsets\":[0,256]},"
                + "\"model.layers.0.mlp.up_proj.scales\":{\"dtype\":\"BF16\",\"shape\":[8,1],\"data_offsets\":[256,272]},"
                + "\"model.layers.0.mlp.up_proj.biases\":{\"dtype\":\"BF16\",\"shape\":[8,1],\"data_offsets\":[272,288]},"
                + "\"model.norm.weight\":{\"dtype\":\"BF16\",\"shape\":[64],\"data_offsets\":[288,416]}}";
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + hb.length + 416).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb).array();
    }

    private void setUp() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("tiny-4bit"));
        Files.writeString(folder.resolve("config.json"), "{\"architectures\":[\"Qwen3ForCausalLM\"],\"model_type\":\"qwen3\","
                + "\"max_position_embeddings\":4096,\"hidden_size\":64,\"quantization\":{\"group_size\":64,\"bits\":4,\"mode\":\"affine\"}}");
        Files.write(folder.resolve("model.safetensors"), weights());
        Files.writeString(folder.resolve("tokenizer_config.json"), "{\"chat_template\":\"{% for m in messages %}{{ m.content }}{% endfor %}<think>\"}");
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        store.create(new CreateRequest("tiny", folder.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
        engine = new InferenceEngine(store, null, Map.of("drain.timeout", "10s"));
        engine.addBackend(new FixtureBackend("fixture", 1, 4));
    }

    @Test
    void showReadsConfigAndHeaders() throws Exception {
        setUp();
        ModelDetails d = engine.show("tiny");
        assertEquals("safetensors", d.details().format());
        assertEquals("qwen3", d.details().family());
        assertEquals("int4", d.details().quantizationLevel());
        assertEquals("576", d.details().parameterSize(), "8 × 64 packed values and a norm of 64, not the words");
        assertEquals(576L, d.modelInfo().get("general.parameter_count"));
        assertEquals(4096L, d.modelInfo().get("qwen3.context_length"));
        assertTrue(d.template().contains("messages"), "the folder's chat template");
        assertTrue(d.capabilities().contains("thinking"), String.valueOf(d.capabilities()));
        assertEquals("safetensors", engine.models().getFirst().details().format());
    }

    @Test
    void withoutMlxTheErrorSaysWhatWouldRunIt() throws Exception {
        setUp();
        InferenceException e = assertThrows(InferenceException.class, () -> engine.generate(
                new GenerateRequest("tiny", "hi", null, null, null, true, null, null, null, Options.NONE, null, null, false, 0), ev -> {}));
        assertEquals(InferenceException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("fixture: does not support safetensors models"), e.getMessage());
        assertTrue(e.getMessage().contains("safetensors model folders run on the mlx backend only"), e.getMessage());
    }
}
