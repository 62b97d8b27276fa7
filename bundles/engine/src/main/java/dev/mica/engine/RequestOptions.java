package dev.mica.engine;

import dev.mica.api.backend.SamplingParams;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.InferenceException.Kind;
import dev.mica.api.inference.Options;
import java.util.List;
import java.util.Map;

/**
 * The options a request runs with: the request's, then the model's parameters (Modelfile
 * PARAMETER lines), then Ollama's defaults.
 */
record RequestOptions(int numCtx, int numPredict, int numBatch, int numThread, List<String> stop, SamplingParams sampling) {
    static final int DEFAULT_NUM_CTX = 4096;

    static RequestOptions resolve(Options request, Map<String, Object> modelParameters, int defaultThreads) throws InferenceException {
        Options o = request.or(fromParameters(modelParameters));
        int numCtx = positive("num_ctx", o.numCtx(), DEFAULT_NUM_CTX);
        int numPredict = o.numPredict() == null ? -1 : o.numPredict();
        if (numPredict < -2) throw invalid("num_predict must be -1 (no limit), -2 (fill the context) or >= 0");
        int numBatch = positive("num_batch", o.numBatch(), 512);
        int numThread = o.numThread() == null || o.numThread() == 0 ? defaultThreads : positive("num_thread", o.numThread(), defaultThreads);
        float temperature = (float) nonNegative("temperature", o.temperature(), 0.8);
        int topK = (int) nonNegative("top_k", o.topK() == null ? null : o.topK().doubleValue(), 40);
        float topP = (float) unit("top_p", o.topP(), 0.9);
        float minP = (float) unit("min_p", o.minP(), 0.0);
        float typicalP = (float) unit("typical_p", o.typicalP(), 1.0);
        int repeatLastN = o.repeatLastN() == null ? 64 : o.repeatLastN();
        if (repeatLastN < -1) throw invalid("repeat_last_n must be >= -1");
        float repeatPenalty = (float) nonNegative("repeat_penalty", o.repeatPenalty(), 1.1);
        float presence = o.presencePenalty() == null ? 0f : o.presencePenalty().floatValue();
        float frequency = o.frequencyPenalty() == null ? 0f : o.frequencyPenalty().floatValue();
        long seed = o.seed() == null || o.seed() < 0 ? SamplingParams.RANDOM_SEED : o.seed();
        List<String> stop = o.stop() == null ? List.of() : o.stop();
        if (temperature == 0f) {
            // temperature 0 means greedy decoding, as in llama.cpp and Ollama's own sampler:
            // penalties would make "deterministic" output differ from the model's arg-max
            repeatPenalty = 1f;
            presence = 0f;
            frequency = 0f;
        }
        return new RequestOptions(numCtx, numPredict, numBatch, numThread, stop,
                new SamplingParams(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, presence, frequency, seed));
    }

    /** Modelfile parameters arrive as JSON values; unknown keys are ignored as Ollama does. */
    static Options fromParameters(Map<String, Object> p) throws InferenceException {
        if (p == null || p.isEmpty()) return Options.NONE;
        try {
            return new Options(integer(p, "num_ctx"), integer(p, "num_predict"), integer(p, "num_keep"), number(p, "temperature"),
                    integer(p, "top_k"), number(p, "top_p"), number(p, "min_p"), number(p, "typical_p"), integer(p, "repeat_last_n"),
                    number(p, "repeat_penalty"), number(p, "presence_penalty"), number(p, "frequency_penalty"),
                    p.get("seed") instanceof Number n ? n.longValue() : null, stops(p.get("stop")), integer(p, "num_batch"),
                    integer(p, "num_thread"), integer(p, "num_gpu"), p.get("use_mmap") instanceof Boolean b ? b : null);
        } catch (ClassCastException e) {
            throw new InferenceException(Kind.INVALID_REQUEST, "the model's parameters have a wrong type: " + e.getMessage());
        }
    }

    private static Integer integer(Map<String, Object> p, String k) {
        return p.get(k) instanceof Number n ? n.intValue() : null;
    }

    private static Double number(Map<String, Object> p, String k) {
        return p.get(k) instanceof Number n ? n.doubleValue() : null;
    }

    private static List<String> stops(Object v) {
        if (v instanceof String s) return List.of(s);
        if (v instanceof List<?> l) return l.stream().map(String::valueOf).toList();
        return null;
    }

    private static int positive(String name, Integer v, int fallback) throws InferenceException {
        if (v == null) return fallback;
        if (v <= 0) throw invalid(name + " must be positive, got " + v);
        return v;
    }

    private static double nonNegative(String name, Double v, double fallback) throws InferenceException {
        if (v == null) return fallback;
        if (v < 0 || v.isNaN() || v.isInfinite()) throw invalid(name + " must be a finite number >= 0, got " + v);
        return v;
    }

    private static double unit(String name, Double v, double fallback) throws InferenceException {
        if (v == null) return fallback;
        if (!(v >= 0 && v <= 1)) throw invalid(name + " must be within [0, 1], got " + v);
        return v;
    }

    private static InferenceException invalid(String message) {
        return new InferenceException(Kind.INVALID_REQUEST, message);
    }
}
