package dev.mica.mlx;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.Tokenizer;
import dev.mica.graph.Architectures;
import dev.mica.graph.GraphModelInfo;
import dev.mica.tokenizer.HfTokenizers;
import dev.mica.tokenizer.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An MLX-format model folder as mlx-community publishes them: config.json (Hugging Face config with
 * {@code architectures} and MLX's {@code quantization}), model*.safetensors, tokenizer.json,
 * tokenizer_config.json, and the chat template there or in chat_template.jinja.
 */
final class MlxFolder {
    /** config.json and tokenizer_config.json are small; anything larger is not one. */
    private static final long MAX_JSON = 64L << 20;

    private MlxFolder() {}

    static boolean is(Path path) {
        if (path == null || !Files.isDirectory(path) || !Files.isRegularFile(path.resolve("config.json"))) return false;
        try {
            return !safetensors(path).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    static List<Path> safetensors(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            ds.forEach(files::add);
        }
        files.sort(null);
        return files;
    }

    static Map<String, Object> json(Path file) throws BackendException {
        try {
            if (Files.size(file) > MAX_JSON) throw new BackendException(file.getFileName() + " is larger than " + MAX_JSON + " bytes");
            if (Json.parse(Files.readString(file, StandardCharsets.UTF_8)) instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
                return map;
            }
            throw new BackendException(file.getFileName() + " is not a JSON object");
        } catch (IOException | IllegalArgumentException e) {
            throw new BackendException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static LoadedModel load(Path dir, String name, MlxRuntime rt, Architectures architectures, Consumer<MlxModel> onClose,
                            ProgressListener progress) throws BackendException {
        Map<String, Object> config = json(dir.resolve("config.json"));
        String hfName = config.get("architectures") instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof String s ? s : null;
        ModelArchitecture arch = architectures.forName(hfName, name + ", config.json architectures[0]");
        // The architecture's GGUF name is the prefix of the keys it reads.
        String prefix = arch.names().stream().filter(n -> !n.contains("For")).findFirst().orElse(hfName);
        List<Path> files;
        try {
            files = safetensors(dir);
        } catch (IOException e) {
            throw new BackendException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new BackendException(dir + " has no .safetensors files");
        Tokenizer tokenizer;
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) throw new BackendException(name + " has no tokenizer.json");
        try {
            tokenizer = HfTokenizers.fromJson(tokenizerJson, dir.resolve("tokenizer_config.json"));
        } catch (IOException | RuntimeException e) {
            throw new BackendException("the mlx backend cannot read the tokenizer of " + name + ": " + e.getMessage(), e);
        }
        String template = template(dir);
        Map<String, Object> metadata = MlxSafetensorsWeights.metadata(prefix, config);
        Integer pooling = poolingType(dir);
        if (pooling != null) metadata.put(prefix + ".pooling_type", pooling);
        progress.progress(0.1);
        MlxSafetensorsWeights weights;
        try {
            weights = rt.call(() -> {
                try {
                    return MlxSafetensorsWeights.load(prefix, config, metadata, files, rt.mlx(), progress);
                } catch (BackendException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
        } catch (RuntimeException e) {
            throw new BackendException("cannot load " + name + " into MLX: " + e.getMessage(), e);
        }
        try {
            int context = config.get("max_position_embeddings") instanceof Number n ? n.intValue() : 0;
            int width = config.get("hidden_size") instanceof Number n ? n.intValue() : 0;
            return new MlxModel(name, rt, weights, arch, tokenizer, pass -> GraphModelInfo.of(prefix, dir.getFileName().toString(), context, width,
                    weights.parameterCount(), weights.fileType(), template, weights.metadata(), pass, tokenizer), onClose);
        } catch (BackendException | RuntimeException e) {
            rt.run(weights::close);
            throw e;
        }
    }

    /**
     * The pooling a sentence-transformers folder declares, as a GGUF {@code pooling_type} (1 mean,
     * 2 first token, 3 last token), read where llama.cpp's converter reads it: the folder of the
     * Pooling module in modules.json (else {@code 1_Pooling}), its config.json. Null where there is
     * none, or only a mode llama.cpp has no number for (max, weighted mean): such models are then
     * embedded by the mean, as any model that declares nothing. Hugging Face's config.json has no
     * pooling key, which is why mlx-community's embedding folders (that drop these files) are
     * embedded by the mean too.
     */
    static Integer poolingType(Path dir) throws BackendException {
        Path module = dir.resolve("1_Pooling");
        Path modules = dir.resolve("modules.json");
        if (Files.isRegularFile(modules)) {
            Object list;
            try {
                if (Files.size(modules) > MAX_JSON) throw new BackendException("modules.json is larger than " + MAX_JSON + " bytes");
                list = Json.parse(Files.readString(modules, StandardCharsets.UTF_8));
            } catch (IOException | IllegalArgumentException e) {
                throw new BackendException("cannot read " + modules + ": " + e.getMessage(), e);
            }
            if (list instanceof List<?> l) {
                for (Object o : l) {
                    if (o instanceof Map<?, ?> m && m.get("type") instanceof String t && t.endsWith(".Pooling") && m.get("path") instanceof String p) {
                        Path named = dir.resolve(p).normalize();
                        // a name that leads out of the folder is not the folder's to declare
                        if (named.startsWith(dir.normalize())) module = named;
                    }
                }
            }
        }
        Path config = module.resolve("config.json");
        if (!Files.isRegularFile(config)) return null;
        Map<String, Object> modes = json(config);
        if (Boolean.TRUE.equals(modes.get("pooling_mode_mean_tokens"))) return 1;
        if (Boolean.TRUE.equals(modes.get("pooling_mode_cls_token"))) return 2;
        if (Boolean.TRUE.equals(modes.get("pooling_mode_lasttoken"))) return 3;
        return null;
    }

    /** tokenizer_config.json's chat_template (a string, or named templates: "default"), else chat_template.jinja. */
    static String template(Path dir) throws BackendException {
        Path config = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            Object t = json(config).get("chat_template");
            if (t instanceof String s) return s;
            if (t instanceof List<?> named) {
                for (Object o : named) {
                    if (o instanceof Map<?, ?> m && "default".equals(m.get("name")) && m.get("template") instanceof String s) return s;
                }
            }
        }
        Path jinja = dir.resolve("chat_template.jinja");
        try {
            if (Files.isRegularFile(jinja) && Files.size(jinja) <= MAX_JSON) return Files.readString(jinja, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BackendException("cannot read " + jinja + ": " + e.getMessage(), e);
        }
        return null;
    }
}
