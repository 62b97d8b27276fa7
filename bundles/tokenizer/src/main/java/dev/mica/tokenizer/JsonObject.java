package dev.mica.tokenizer;

import java.util.List;
import java.util.Map;

/** Typed reads from a parsed JSON object ({@link Json}), with errors that name the key. */
record JsonObject(Map<String, Object> map, String where) {

    @SuppressWarnings("unchecked")
    static JsonObject of(Object value, String where) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + ": expected a JSON object");
        }
        return new JsonObject((Map<String, Object>) m, where);
    }

    boolean has(String key) {
        return map.get(key) != null;
    }

    Object get(String key) {
        return map.get(key);
    }

    String string(String key) {
        Object v = map.get(key);
        if (v != null && !(v instanceof String)) {
            throw new IllegalArgumentException(where + "." + key + ": expected a string");
        }
        return (String) v;
    }

    String requireString(String key) {
        String v = string(key);
        if (v == null) {
            throw new IllegalArgumentException(where + "." + key + ": missing");
        }
        return v;
    }

    boolean bool(String key, boolean fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(where + "." + key + ": expected true or false");
        }
        return b;
    }

    long integer(String key, long fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Long l)) {
            throw new IllegalArgumentException(where + "." + key + ": expected an integer");
        }
        return l;
    }

    JsonObject object(String key) {
        Object v = map.get(key);
        return v == null ? null : of(v, where + "." + key);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String key) {
        Object v = map.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(where + "." + key + ": expected an array");
        }
        return (List<Object>) l;
    }

    String type() {
        return requireString("type");
    }
}
