package dev.mica.api.model;

import java.util.List;
import java.util.Map;

/**
 * What /api/create and {@code mica create} ask for.
 *
 * @param name the new model's name
 * @param from an existing model name, or an absolute path to a weights file on this machine
 * @param files file name to blob digest, for weights uploaded through the blob API
 * @param parameters null fields keep what {@code from} has
 * @param licenses license texts added to those {@code from} has (Ollama's {@code license})
 */
public record CreateRequest(
        String name,
        String from,
        Map<String, String> files,
        String template,
        String system,
        Map<String, Object> parameters,
        List<ModelDescriptor.Message> messages,
        String quantize,
        List<String> licenses) {

    /** A request that adds no license: the constructor of contract 1.2, kept for its callers. */
    public CreateRequest(String name, String from, Map<String, String> files, String template, String system,
            Map<String, Object> parameters, List<ModelDescriptor.Message> messages, String quantize) {
        this(name, from, files, template, system, parameters, messages, quantize, null);
    }
}
