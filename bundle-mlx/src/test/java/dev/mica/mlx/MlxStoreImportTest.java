package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStoreException;
import dev.mica.arch.qwen3.Qwen3;
import dev.mica.backend.java.testing.ArchModels;
import dev.mica.backend.java.testing.Logits;
import dev.mica.store.LocalModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mica create tiny -q int4} with {@code FROM} an unquantized MLX folder, through the store
 * and this bundle's quantizer, then the MLX backend loading what the store resolves it to.
 */
class MlxStoreImportTest {
    @TempDir Path dir;

    private ModelDescriptor importQuantized(LocalModelStore store) throws Exception {
        Path gguf = ArchModels.write(ArchModels.qwen3(false, 5), dir.resolve("src.gguf"));
        Path folder = dir.resolve("tiny-f32");
        MlxFormatModels.write(null, gguf, folder, null, 0, 64, null);
        return store.create(new CreateRequest("tiny", folder.toString(), null, null, null, null, null, "int4"), s -> {});
    }

    @Test
    void theStoreQuantizesAnMlxFolderWithoutMlx() throws Exception {
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        store.bindQuantizer(new MlxQuantizer());
        ModelDescriptor d = importQuantized(store);
        assertEquals("safetensors", d.format());
        assertTrue(MlxFolder.is(d.model()), "a folder the MLX backend takes: " + d.model());
        assertTrue(Files.readString(d.model().resolve("config.json")).contains("\"quantization\""));
        assertTrue(Files.isRegularFile(d.model().resolve("tokenizer.json")), "the tokenizer came along");

        // without libmlxc the backend says why it cannot run it, not that the format is wrong
        MlxBackend none = new MlxBackend(dir.resolve("no-mlx-here").toString(), List.of(new Qwen3()));
        assertFalse(none.status().available());
        assertFalse(none.supports(d));
        BackendException e = assertThrows(BackendException.class, () -> none.load(d, null, null));
        assertTrue(e.getMessage().startsWith("the mlx backend is unavailable: "), e.getMessage());

        ModelStoreException twice = assertThrows(ModelStoreException.class,
                () -> store.create(new CreateRequest("again", "tiny", null, null, null, null, null, "mxfp4"), s -> {}));
        assertTrue(twice.getMessage().contains("already quantized"), twice.getMessage());
        assertTrue(store.delete("tiny"));
        assertFalse(Files.exists(d.model()));
    }

    @Test
    void anImportedInt4FolderGeneratesOnMlx() throws Exception {
        MlxBackend backend = new MlxBackend(MlxTesting.folder(), List.of(new Qwen3()));
        assertTrue(backend.status().available(), backend.status().detail());
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        store.bindQuantizer(new MlxQuantizer());
        ModelDescriptor d = importQuantized(store);
        assertTrue(backend.supports(d));
        try (LoadedModel m = backend.load(d, null, null)) {
            assertEquals("qwen3", m.info().architecture());
            int[] tokens = Logits.greedy(m, new int[] {1, 300, 301}, 6);
            assertEquals(6, tokens.length);
            for (int t : tokens) assertTrue(t >= 0 && t < m.info().vocabSize(), "token " + t);
        }
    }
}
