package dev.mica.store;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An image manifest as Ollama writes it and registries serve it: a config blob and layers, each a
 * media type, a digest and a size. Unknown fields (Ollama adds {@code from} to layers it created)
 * are ignored so any manifest Ollama wrote can be read.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Manifest(int schemaVersion, String mediaType, Layer config, List<Layer> layers) {
    static final String MODEL = "application/vnd.ollama.image.model";
    static final String TEMPLATE = "application/vnd.ollama.image.template";
    static final String SYSTEM = "application/vnd.ollama.image.system";
    static final String PARAMS = "application/vnd.ollama.image.params";
    static final String MESSAGES = "application/vnd.ollama.image.messages";
    static final String LICENSE = "application/vnd.ollama.image.license";
    /** Safetensors weights, as Ollama's safetensors models name them: a layer {@code name} says what it holds. */
    static final String TENSOR = "application/vnd.ollama.image.tensor";
    /** A JSON file beside safetensors weights (config.json, tokenizer.json), named by {@code name}, as Ollama's. */
    static final String JSON_FILE = "application/vnd.ollama.image.json";
    /** Any other named file beside them (chat_template.jinja, tokenizer.model): Ollama has no type for these. */
    static final String FILE = "application/vnd.mica.image.file";
    static final String CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    /** The mapper for manifests and the small JSON blobs beside them. */
    static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    Manifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
    }

    /** {@code name} is Ollama's annotation on the layers of safetensors models: the file or tensor it holds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Layer(String mediaType, String digest, long size, String name) {
        Layer(String mediaType, String digest, long size) {
            this(mediaType, digest, size, null);
        }

        /** A layer a model folder is made of: its weights and the files beside them. */
        @JsonIgnore
        boolean isFolderFile() {
            return name != null && (TENSOR.equals(mediaType) || JSON_FILE.equals(mediaType) || FILE.equals(mediaType));
        }
    }

    static Manifest parse(byte[] json) throws IOException {
        return JSON.readValue(json, Manifest.class);
    }

    /** Every blob the manifest needs: its layers, then its config. */
    List<Layer> blobs() {
        List<Layer> all = new ArrayList<>(layers);
        if (config != null) all.add(config);
        return all;
    }

    /** The layers of a safetensors model: files of a model folder, in manifest order. */
    List<Layer> folderFiles() {
        return layers.stream().filter(Layer::isFolderFile).toList();
    }

    Layer model() {
        return layers.stream().filter(l -> MODEL.equals(l.mediaType())).findFirst().orElse(null);
    }
}
