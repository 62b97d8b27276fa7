package dev.mica.api.arch;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A model family (Llama, Qwen3, Qwen3-MoE, ...), registered as an OSGi service by its own bundle.
 * Service property {@link #NAMES_PROPERTY} lists {@link #names()}, so a backend can track
 * architectures without calling in.
 */
@ConsumerType
public interface ModelArchitecture {
    /** Service property: the names this architecture answers to (a String array). */
    String NAMES_PROPERTY = "mica.arch.names";

    /**
     * The names of this architecture: the GGUF {@code general.architecture} values ("llama") and
     * the Hugging Face {@code architectures[0]} values ("LlamaForCausalLM") it runs.
     */
    List<String> names();

    /**
     * Builds the forward pass of one model. Reads what it needs from the configuration and takes
     * its weights now, so a missing key or tensor fails the load rather than the first decode.
     *
     * @param ops the backend's op set; the forward pass keeps it and computes through it
     */
    ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) throws ArchitectureException;
}
