package dev.mica.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * OpenCode's configuration ({@code $XDG_CONFIG_HOME/opencode/opencode.json}, else
 * {@code ~/.config/opencode/opencode.json}) with a {@code mica} provider: OpenAI-compatible, at the
 * server's {@code /v1}, with the model in its list. Everything else in the file is kept; the
 * default {@code model} is set only where the file has none. A file with comments (JSONC) is not
 * rewritten, since writing it back would lose them: the user is shown what to add instead.
 */
final class OpenCodeConfig {
    static final String PROVIDER = "mica";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private OpenCodeConfig() {}

    static Path file(Map<String, String> env, Path userHome) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path dir = xdg != null && !xdg.isBlank() ? Path.of(xdg) : userHome.resolve(".config");
        return dir.resolve("opencode").resolve("opencode.json");
    }

    /** The provider entry, as it is merged into the file. */
    static ObjectNode provider(String server, String model, String apiKey) {
        ObjectNode p = JSON.createObjectNode();
        p.put("npm", "@ai-sdk/openai-compatible");
        p.put("name", "mica (local)");
        ObjectNode options = p.putObject("options").put("baseURL", server + "/v1");
        if (apiKey != null && !apiKey.isBlank()) options.put("apiKey", apiKey);
        p.putObject("models").putObject(model).put("name", model);
        return p;
    }

    /** Adds or updates the provider and the model in the file; returns the file's new text. */
    static String write(Path file, String server, String model, String apiKey) throws IOException {
        Path jsonc = file.resolveSibling("opencode.jsonc");
        if (Files.exists(jsonc) && !Files.exists(file)) {
            throw new CliException(jsonc + " has comments mica would lose; add this to its \"provider\" object yourself:\n"
                    + "\"" + PROVIDER + "\": " + JSON.writeValueAsString(provider(server, model, apiKey)));
        }
        ObjectNode root = read(file, server, model, apiKey);
        root.putIfAbsent("$schema", root.textNode("https://opencode.ai/config.json"));
        JsonNode providers = root.path("provider");
        ObjectNode providerObject = providers.isObject() ? (ObjectNode) providers : root.putObject("provider");
        ObjectNode fresh = provider(server, model, apiKey);
        JsonNode existing = providerObject.path(PROVIDER);
        if (existing.isObject() && existing.path("models").isObject()) {
            ObjectNode models = ((ObjectNode) existing.path("models")).deepCopy();
            models.setAll((ObjectNode) fresh.path("models"));
            fresh.set("models", models);
        }
        providerObject.set(PROVIDER, fresh);
        if (!root.hasNonNull("model")) root.put("model", PROVIDER + "/" + model);
        String text = JSON.writeValueAsString(root) + "\n";
        ToolConfigFile.replace(file, text);
        return text;
    }

    private static ObjectNode read(Path file, String server, String model, String apiKey) throws IOException {
        if (!Files.exists(file)) return JSON.createObjectNode();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.isBlank()) return JSON.createObjectNode();
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException strict) {
            boolean comments;
            try {
                JSON.copy().enable(JsonParser.Feature.ALLOW_COMMENTS).readTree(text);
                comments = true;
            } catch (IOException e) {
                comments = false;
            }
            throw new CliException(file + (comments ? " has comments mica would lose" : " is not valid JSON (" + strict.getOriginalMessage() + ")")
                    + "; add this to its \"provider\" object yourself:\n\"" + PROVIDER + "\": " + JSON.writeValueAsString(provider(server, model, apiKey)));
        }
        if (!node.isObject()) throw new CliException(file + " does not hold a JSON object");
        return (ObjectNode) node;
    }
}
