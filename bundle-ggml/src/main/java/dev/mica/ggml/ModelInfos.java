package dev.mica.ggml;

import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.ModelInfo.Capability;
import dev.mica.api.backend.ModelInfo.MemoryKind;
import dev.mica.ggml.ffm.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads what libllama knows about a loaded model into the contract's {@link ModelInfo}. */
final class ModelInfos {
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,18}");
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+\\.[0-9]+(e[-+]?[0-9]+)?");

    private ModelInfos() {}

    static ModelInfo read(Llama llama, MemorySegment model, MemorySegment vocab) {
        Map<String, Object> metadata = metadata(llama, model);
        String architecture = metadata.get("general.architecture") instanceof String s ? s : "unknown";
        String template = Llama.string(llama.modelChatTemplate(model, MemorySegment.NULL));

        return new ModelInfo(
                architecture,
                description(llama, model),
                llama.modelNCtxTrain(model),
                llama.vocabNTokens(vocab),
                llama.modelNEmbd(model),
                llama.modelNParams(model),
                quantization(llama, model),
                template,
                capabilities(llama, model, vocab, metadata, architecture, template),
                memoryKind(llama, model),
                Collections.unmodifiableMap(metadata));
    }

    /**
     * Capabilities as Ollama reports them: completion for anything with a decoder; embedding for
     * encoders and models that declare a pooling type; tools and thinking when the chat template
     * mentions them (there is no other signal in a GGUF); insert (fill-in-the-middle) when the
     * vocabulary has the FIM tokens.
     */
    private static Set<Capability> capabilities(Llama llama, MemorySegment model, MemorySegment vocab,
                                                Map<String, Object> metadata, String architecture, String template) {
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        boolean decoder = llama.modelHasDecoder(model);
        boolean encoder = llama.modelHasEncoder(model);
        if (decoder) {
            caps.add(Capability.COMPLETION);
        }
        Object pooling = metadata.get(architecture + ".pooling_type");
        if ((pooling instanceof Number n && n.intValue() != 0) || (encoder && !decoder)) {
            caps.add(Capability.EMBEDDING);
        }
        if (template != null) {
            if (template.contains("tools")) {
                caps.add(Capability.TOOLS);
            }
            if (template.contains("<think>")) {
                caps.add(Capability.THINKING);
            }
        }
        if (llama.vocabFimPre(vocab) != Llama.TOKEN_NULL && llama.vocabFimSuf(vocab) != Llama.TOKEN_NULL
                && llama.vocabFimMid(vocab) != Llama.TOKEN_NULL) {
            caps.add(Capability.INSERT);
        }
        return Collections.unmodifiableSet(caps);
    }

    static MemoryKind memoryKind(Llama llama, MemorySegment model) {
        if (llama.modelIsHybrid(model)) {
            return MemoryKind.HYBRID;
        }
        if (llama.modelIsRecurrent(model)) {
            return MemoryKind.RECURRENT;
        }
        return llama.modelNSwa(model) > 0 ? MemoryKind.SLIDING_WINDOW : MemoryKind.ATTENTION;
    }

    private static String quantization(Llama llama, MemorySegment model) {
        int ftype = llama.modelFtype(model);
        String name = FileTypes.name(ftype);
        if (name != null) {
            return name;
        }
        String display = ftype < 0 ? null : llama.ftypeName(ftype);
        return display != null ? display : "unknown";
    }

    private static String description(Llama llama, MemorySegment model) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int n = llama.modelDesc(model, buf, buf.byteSize());
            if (n >= buf.byteSize()) {
                buf = arena.allocate(n + 1L);
                llama.modelDesc(model, buf, buf.byteSize());
            }
            return n < 0 ? "" : buf.getString(0);
        }
    }

    /**
     * The GGUF key/values libllama keeps: scalars only (it drops arrays such as the vocabulary), and
     * every value as text. Text that reads as a boolean or a number is turned back into one, so
     * counts and lengths come out as numbers.
     */
    private static Map<String, Object> metadata(Llama llama, MemorySegment model) {
        Map<String, Object> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            Buffer buffer = new Buffer(arena);
            int count = llama.modelMetaCount(model);
            for (int i = 0; i < count; i++) {
                final int index = i;
                String key = buffer.read((buf, size) -> llama.modelMetaKeyByIndex(model, index, buf, size));
                String value = buffer.read((buf, size) -> llama.modelMetaValStrByIndex(model, index, buf, size));
                if (key != null && value != null) {
                    out.put(key, typed(value));
                }
            }
        }
        return out;
    }

    static Object typed(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("false")) {
            return Boolean.valueOf(v);
        }
        if (INTEGER.matcher(value).matches()) {
            return Long.valueOf(value);
        }
        if (DECIMAL.matcher(v).matches()) {
            return Double.valueOf(value);
        }
        return value;
    }

    /** An snprintf-style call: fills buf, returns the full length or -1. */
    @FunctionalInterface
    private interface SnprintfCall {
        int call(MemorySegment buf, long size);
    }

    /** A growing scratch buffer for snprintf-style calls. */
    private static final class Buffer {
        private final Arena arena;
        private MemorySegment buf;

        Buffer(Arena arena) {
            this.arena = arena;
            this.buf = arena.allocate(1024);
        }

        String read(SnprintfCall call) {
            int n = call.call(buf, buf.byteSize());
            if (n < 0) {
                return null;
            }
            if (n >= buf.byteSize()) {
                buf = arena.allocate(n + 1L);
                n = call.call(buf, buf.byteSize());
                if (n < 0) {
                    return null;
                }
            }
            return buf.getString(0);
        }
    }
}
