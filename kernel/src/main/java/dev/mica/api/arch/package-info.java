/**
 * Model architectures as bundles, for backends that execute graphs themselves (pure Java, MLX).
 *
 * <p>An architecture bundle registers one {@link ModelArchitecture} service. A backend that loads a
 * model finds the architecture by the model's name for it (GGUF {@code general.architecture}, or
 * Hugging Face {@code architectures[0]}), hands it the model's {@link ModelConfig} and
 * {@link Weights} and its own {@link TensorOps}, and gets a {@link ForwardPass}: the model's
 * computation, written once over the op set, plus the {@link StateLayout} the backend must keep per
 * sequence (KV for attention layers, recurrent state for gated-delta or SSM layers).
 *
 * <p>The shape follows Ollama's {@code ml.Backend} with {@code model/models/*} and mlx-lm's
 * {@code models/*.py}: row-major tensors, eager-looking ops (a backend may record them lazily), and
 * attention or recurrent state behind an op that names the layer, so the architecture never sees
 * KV cells, masks or sequence bookkeeping. Nothing of a backend's own types crosses this package.
 */
@Export
@Version("1.1.0")
package dev.mica.api.arch;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
