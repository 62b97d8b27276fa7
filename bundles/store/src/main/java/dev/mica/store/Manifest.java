package dev.mica.store;

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
    static final String CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    /** The mapper for manifests and the small JSON blobs beside them. */
    static final ObjectMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    Manifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
    }

    record Layer(String mediaType, String digest, long size) {}

    static Manifest parse(byte[] json) throws IOException {
        return JSON.readValue(json, Manifest.class);
    }

    /** Every blob the manifest needs: its layers, then its config. */
    List<Layer> blobs() {
        List<Layer> all = new ArrayList<>(layers);
        if (config != null) all.add(config);
        return all;
    }

    Layer model() {
        return layers.stream().filter(l -> MODEL.equals(l.mediaType())).findFirst().orElse(null);
    }
}
