package dev.mica.api.backend;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload to an accelerator; -1 lets the backend decide, 0 keeps all on the CPU
 * @param useMmap map the weights instead of reading them
 * @param threads compute threads; 0 lets the backend decide
 */
public record LoadOptions(int gpuLayers, boolean useMmap, int threads) {
    public static final LoadOptions DEFAULT = new LoadOptions(-1, true, 0);
}
