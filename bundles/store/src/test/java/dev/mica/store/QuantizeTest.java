package dev.mica.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Quantizer;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.api.model.ModelStoreException;
import dev.mica.api.model.ModelStoreException.Kind;
import dev.mica.ggml.GgmlBackend;
import dev.mica.ggml.GgmlQuantizer;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import dev.mica.gguf.SyntheticModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quantize} on create: through the Quantizer service, never a backend the store knows. */
class QuantizeTest {
    @TempDir Path dir;

    private LocalModelStore store() {
        return new LocalModelStore(dir.resolve("models"), null, PullSettings.defaults(), Disk.REAL);
    }

    private Path f32Model() throws Exception {
        Path p = dir.resolve("tiny-f32.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, p);
        return p;
    }

    private static CreateRequest quantized(String name, String from, String type) {
        return new CreateRequest(name, from, null, null, null, null, null, type);
    }

    @Test
    void withoutAQuantizerTheRequestIsRefusedClearly() throws Exception {
        LocalModelStore store = store();
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.create(quantized("q", f32Model().toString(), "q4_K_M"), s -> {}));
        assertEquals(Kind.INVALID, e.kind());
        assertEquals("cannot quantize to q4_K_M: no quantizer is installed (the ggml backend bundle provides one)", e.getMessage());
        assertTrue(store.find("q").isEmpty());
    }

    @Test
    void theQuantizersOutputBecomesTheModelsWeights() throws Exception {
        List<String> calls = new ArrayList<>();
        Quantizer fake = new Quantizer() {
            @Override
            public Set<String> formats() {
                return Set.of("gguf");
            }

            @Override
            public Set<String> types() {
                return Set.of("Q4_K_M", "Q8_0");
            }

            @Override
            public void quantize(Path input, Path output, String type) {
                calls.add(type);
                try {
                    Files.write(output, ("GGUF quantized to " + type).getBytes());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        LocalModelStore store = store();
        store.bindQuantizer(fake);
        List<String> status = new ArrayList<>();
        Path src = dir.resolve("m.gguf");
        Files.writeString(src, "GGUF source weights");

        ModelDescriptor d = store.create(quantized("q", src.toString(), "q4_k_m"), status::add);

        assertEquals(List.of("Q4_K_M"), calls, "the type is passed as the quantizer spells it");
        assertEquals("GGUF quantized to Q4_K_M", Files.readString(d.model()));
        assertTrue(status.contains("quantizing model to Q4_K_M"), status.toString());
        try (Stream<Path> left = Files.list(dir.resolve("models/blobs"))) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary file stays");
        }
        ModelStoreException e = assertThrows(ModelStoreException.class, () -> store.create(quantized("x", src.toString(), "q9_9"), s -> {}));
        assertEquals("unknown quantization type 'q9_9'; known: Q4_K_M, Q8_0", e.getMessage());
        store.unbindQuantizer(fake);
        assertThrows(ModelStoreException.class, () -> store.create(quantized("y", src.toString(), "q8_0"), s -> {}));
    }

    /** A store with the ggml bundle's quantizer over the fetched llama.cpp libraries; skips where there are none. */
    private LocalModelStore storeWithLlamaCppsQuantizer() {
        String natives = System.getProperty("mica.llama.path");
        assumeTrue(natives != null && Files.isDirectory(Path.of(natives)), "no llama.cpp libraries at " + natives + ": run through Maven after the native module");
        GgmlBackend backend = new GgmlBackend(Path.of(natives));
        assumeTrue(backend.status().available(), () -> "llama.cpp unusable here: " + backend.status().detail());
        LocalModelStore store = store();
        store.bindQuantizer(new GgmlQuantizer(backend));
        return store;
    }

    @Test
    void llamaCppsQuantizerThroughTheGgmlBundlesService() throws Exception {
        LocalModelStore store = storeWithLlamaCppsQuantizer();
        Path f32 = f32Model();

        ModelDescriptor q8 = store.create(quantized("tiny:q8_0", f32.toString(), "q8_0"), s -> {});

        assertNotEquals("sha256:" + Blobs.hash(f32), q8.digest());
        assertTrue(q8.size() < Files.size(f32) / 2, "Q8_0 takes about a quarter of F32: " + q8.size() + " of " + Files.size(f32));
        GgufFile gguf = GgufFile.read(q8.model());
        assertTrue(gguf.tensors().stream().map(GgufTensor::type).anyMatch(t -> t == GgmlType.Q8_0), "some tensors are Q8_0");

        ModelStoreException again = assertThrows(ModelStoreException.class, () -> store.create(quantized("tiny:q4", "tiny:q8_0", "Q4_K_M"), s -> {}));
        assertEquals(Kind.INVALID, again.kind());
        assertTrue(again.getMessage().startsWith("cannot quantize to Q4_K_M: "), again.getMessage());
        assertTrue(again.getCause() instanceof BackendException, String.valueOf(again.getCause()));
    }

    @Test
    void llamaCppsQuantizerMakesQ4KMWithItsMixOfTypes() throws Exception {
        LocalModelStore store = storeWithLlamaCppsQuantizer();
        // rows of 256 values, the K-quants' block: narrower ones would fall back to other types
        Path f32 = dir.resolve("k-f32.gguf");
        SyntheticModels.writeLlama(new SyntheticModels.LlamaConfig("k-quant test", 256, 2, 4, 2, 512, 512, 512, 10000f, 1e-5f,
                SyntheticModels.VocabKind.SPM, false, 7), GgmlType.F32, f32);

        ModelDescriptor q4 = store.create(quantized("k:q4_K_M", f32.toString(), "q4_K_M"), s -> {});

        GgufFile gguf = GgufFile.read(q4.model());
        var types = gguf.tensors().stream().map(GgufTensor::type).collect(java.util.stream.Collectors.toSet());
        assertTrue(types.contains(GgmlType.Q4_K), "most weights are Q4_K: " + types);
        assertTrue(types.contains(GgmlType.Q6_K), "Q4_K_M keeps some (attn_v, ffn_down) in Q6_K: " + types);
        assertTrue(q4.size() < Files.size(f32) / 4, q4.size() + " of " + Files.size(f32));
    }
}
