package dev.mica.backend.java;

import dev.mica.api.arch.ModelConfig;
import dev.mica.api.arch.Tensor;
import dev.mica.api.arch.Weights;
import dev.mica.backend.java.tensor.WeightFormat;
import dev.mica.backend.java.tensor.WeightTensor;
import dev.mica.gguf.GgufFile;
import dev.mica.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * A GGUF file seen through the architecture contract: its metadata as the {@link ModelConfig},
 * its tensors as {@link Weights} over the mapped bytes (row-major shapes: GGUF's ne reversed).
 */
final class GgufModelFile implements ModelConfig, Weights {
    private final GgufFile file;
    private final Map<String, WeightTensor> tensors = new HashMap<>();

    /** @param mapped the whole file, mapped or read into memory */
    GgufModelFile(GgufFile file, MemorySegment mapped) {
        this.file = file;
        for (GgufTensor t : file.tensors()) {
            WeightFormat format = WeightFormat.of(t.type());
            if (format == null) continue;   // refused by the backend before it gets here
            long[] ne = t.shape();
            long[] shape = new long[ne.length];
            for (int i = 0; i < ne.length; i++) shape[i] = ne[ne.length - 1 - i];
            tensors.put(t.name(), new WeightTensor(t.name(), format, shape, mapped.asSlice(t.offset(), t.byteSize())));
        }
    }

    @Override
    public String architecture() {
        return file.architecture();
    }

    @Override
    public Map<String, Object> metadata() {
        return file.metadata();
    }

    @Override
    public Tensor find(String name) {
        return tensors.get(name);
    }

    long weightBytes() {
        long n = 0;
        for (WeightTensor t : tensors.values()) n += t.data().byteSize();
        return n;
    }
}
