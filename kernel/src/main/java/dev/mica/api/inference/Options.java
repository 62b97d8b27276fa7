package dev.mica.api.inference;

import java.util.List;

/**
 * Ollama's runtime options. A null field is unset: the model's parameters, then the defaults, apply.
 */
public record Options(
        Integer numCtx,
        Integer numPredict,
        Integer numKeep,
        Double temperature,
        Integer topK,
        Double topP,
        Double minP,
        Double typicalP,
        Integer repeatLastN,
        Double repeatPenalty,
        Double presencePenalty,
        Double frequencyPenalty,
        Long seed,
        List<String> stop,
        Integer numBatch,
        Integer numThread,
        Integer numGpu,
        Boolean useMmap) {

    public static final Options NONE = new Options(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    /** Fields set here win; unset ones come from {@code fallback}. */
    public Options or(Options fallback) {
        if (fallback == null) return this;
        return new Options(
                pick(numCtx, fallback.numCtx), pick(numPredict, fallback.numPredict), pick(numKeep, fallback.numKeep),
                pick(temperature, fallback.temperature), pick(topK, fallback.topK), pick(topP, fallback.topP),
                pick(minP, fallback.minP), pick(typicalP, fallback.typicalP), pick(repeatLastN, fallback.repeatLastN),
                pick(repeatPenalty, fallback.repeatPenalty), pick(presencePenalty, fallback.presencePenalty),
                pick(frequencyPenalty, fallback.frequencyPenalty), pick(seed, fallback.seed), pick(stop, fallback.stop),
                pick(numBatch, fallback.numBatch), pick(numThread, fallback.numThread), pick(numGpu, fallback.numGpu),
                pick(useMmap, fallback.useMmap));
    }

    private static <T> T pick(T mine, T theirs) {
        return mine != null ? mine : theirs;
    }
}
