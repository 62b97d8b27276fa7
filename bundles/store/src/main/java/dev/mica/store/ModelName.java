package dev.mica.store;

import java.util.regex.Pattern;

/**
 * A model reference in Ollama's form {@code [host/][namespace/]model[:tag]}, validated so that no
 * part can escape the store folder (no "..", no separators, no control characters).
 */
record ModelName(String host, String namespace, String model, String tag) {
    static final String DEFAULT_HOST = "registry.ollama.ai";
    static final String DEFAULT_NAMESPACE = "library";
    static final String DEFAULT_TAG = "latest";

    private static final Pattern PART = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,79}");
    private static final Pattern HOST = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,252}(:[0-9]{1,5})?");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,79}");

    static ModelName parse(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model name is empty");
        }
        String s = name.strip();
        if (s.length() > 350) {
            throw new IllegalArgumentException("model name is too long");
        }
        String tag = DEFAULT_TAG;
        int slash = s.lastIndexOf('/');
        int colon = s.lastIndexOf(':');
        if (colon > slash) {
            tag = s.substring(colon + 1);
            s = s.substring(0, colon);
        }
        String[] parts = s.split("/", -1);
        String host = DEFAULT_HOST;
        String namespace = DEFAULT_NAMESPACE;
        String model;
        switch (parts.length) {
            case 1 -> model = parts[0];
            case 2 -> { namespace = parts[0]; model = parts[1]; }
            case 3 -> { host = parts[0]; namespace = parts[1]; model = parts[2]; }
            default -> throw new IllegalArgumentException("invalid model name '" + printable(name) + "': too many '/'");
        }
        check(HOST, host, "host", name);
        check(PART, namespace, "namespace", name);
        check(PART, model, "model", name);
        check(TAG, tag, "tag", name);
        if (host.contains("..") || namespace.contains("..") || model.contains("..") || tag.contains("..")) {
            throw new IllegalArgumentException("invalid model name '" + printable(name) + "': '..' is not allowed");
        }
        return new ModelName(host.toLowerCase(java.util.Locale.ROOT), namespace, model, tag);
    }

    private static void check(Pattern p, String value, String what, String name) {
        if (!p.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid model name '" + printable(name) + "': bad " + what + " '" + printable(value) + "'");
        }
    }

    /** The string with control characters escaped and cut at 120 code points, for error messages. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(120).forEach(c -> {
            if (Character.isISOControl(c)) sb.append(String.format("\\u%04x", c));
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }

    /** Whether the name points at Hugging Face ({@code hf.co/<org>/<repo>:<quant>}): its files, not a registry. */
    boolean isHuggingFace() {
        return host.equals("hf.co") || host.equals("huggingface.co");
    }

    /** {@code namespace/model}, the repository part of registry paths. */
    String repository() {
        return namespace + "/" + model;
    }

    /** The short display form Ollama prints: {@code model:tag} for library models. */
    String display() {
        if (host.equals(DEFAULT_HOST) && namespace.equals(DEFAULT_NAMESPACE)) {
            return model + ":" + tag;
        }
        if (host.equals(DEFAULT_HOST)) {
            return namespace + "/" + model + ":" + tag;
        }
        return host + "/" + namespace + "/" + model + ":" + tag;
    }
}
