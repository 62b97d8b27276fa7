/**
 * The backend contract: what an inference backend (llama.cpp, MLX, pure Java) offers the engine.
 * Shaped on libllama so the GGML backend stays thin, and general enough for graph backends:
 * several sequences share one KV memory; sequences can be trimmed, copied and snapshotted so a
 * prefix cache can reuse work across requests.
 */
@Export
@Version("1.4.0")
package dev.mica.api.backend;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
