package dev.mica.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of request fields. A wrong type is a 400 that names the field, never a silent
 * default: {@code "temperature":"hot"} must not run at temperature 0. Absent and {@code null}
 * fields read as null, as Go's JSON decoding (Ollama) and OpenAI both treat them.
 *
 * @param prefix prepended to field names in messages, e.g. {@code "option "} for Ollama's options
 */
record Fields(ObjectNode node, String prefix) {

    static Fields of(ObjectNode node) {
        return new Fields(node, "");
    }

    boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    JsonNode raw(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    String string(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (!v.isTextual()) throw wrong(name, "a string", v);
        return v.textValue();
    }

    /** A string that must be present and not blank (a model name). */
    String requiredString(String name) {
        String s = string(name);
        if (s == null || s.isBlank()) {
            throw ApiException.badField(name, prefix + name + " is required");
        }
        return s;
    }

    Boolean bool(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (!v.isBoolean()) throw wrong(name, "a boolean", v);
        return v.booleanValue();
    }

    boolean bool(String name, boolean fallback) {
        Boolean b = bool(name);
        return b == null ? fallback : b;
    }

    /**
     * An integer. Integral floats such as {@code 2048.0} are accepted, as Ollama's Go decoding
     * (everything is a float64 there) does; {@code 0.5} is not.
     */
    Integer integer(String name) {
        Long l = longValue(name);
        if (l == null) return null;
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw ApiException.badField(name, prefix + name + " is out of range: " + l);
        }
        return l.intValue();
    }

    Long longValue(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
        if (v.isFloatingPointNumber()) {
            double d = v.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p63) return (long) d;
        }
        throw wrong(name, "an integer", v);
    }

    Double number(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (!v.isNumber()) throw wrong(name, "a number", v);
        double d = v.doubleValue();
        if (!Double.isFinite(d)) throw wrong(name, "a finite number", v);
        return d;
    }

    /** A number within [min, max]. */
    Double number(String name, double min, double max) {
        Double d = number(name);
        if (d != null && (d < min || d > max)) {
            throw ApiException.badField(name, prefix + name + " must be between " + trim(min) + " and " + trim(max) + ", got " + trim(d));
        }
        return d;
    }

    /** A number of at least {@code min}. */
    Double numberAtLeast(String name, double min) {
        Double d = number(name);
        if (d != null && d < min) {
            throw ApiException.badField(name, prefix + name + " must be at least " + trim(min) + ", got " + trim(d));
        }
        return d;
    }

    ObjectNode object(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (!(v instanceof ObjectNode o)) throw wrong(name, "an object", v);
        return o;
    }

    List<JsonNode> array(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (!v.isArray()) throw wrong(name, "an array", v);
        List<JsonNode> out = new ArrayList<>(v.size());
        v.forEach(out::add);
        return out;
    }

    List<ObjectNode> objects(String name) {
        List<JsonNode> items = array(name);
        if (items == null) return null;
        List<ObjectNode> out = new ArrayList<>(items.size());
        for (JsonNode item : items) {
            if (!(item instanceof ObjectNode o)) throw wrong(name, "an array of objects", item);
            out.add(o);
        }
        return out;
    }

    List<String> strings(String name) {
        List<JsonNode> items = array(name);
        if (items == null) return null;
        List<String> out = new ArrayList<>(items.size());
        for (JsonNode item : items) {
            if (!item.isTextual()) throw wrong(name, "an array of strings", item);
            out.add(item.textValue());
        }
        return out;
    }

    /** One string or an array of strings (stop sequences, embedding inputs). */
    List<String> stringOrStrings(String name) {
        JsonNode v = raw(name);
        if (v == null) return null;
        if (v.isTextual()) return List.of(v.textValue());
        if (!v.isArray()) throw wrong(name, "a string or an array of strings", v);
        return strings(name);
    }

    int[] ints(String name) {
        List<JsonNode> items = array(name);
        if (items == null) return null;
        int[] out = new int[items.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode item = items.get(i);
            if (!item.isIntegralNumber() || !item.canConvertToInt()) throw wrong(name, "an array of integers", item);
            out[i] = item.intValue();
        }
        return out;
    }

    ApiException wrong(String name, String expected, JsonNode got) {
        return ApiException.badField(name, "invalid " + prefix + name + ": expected " + expected + ", got " + describe(got));
    }

    private static String describe(JsonNode v) {
        String text = v.isTextual() ? "\"" + v.textValue() + "\"" : v.toString();
        String kind = switch (v.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT -> "object";
            default -> v.getNodeType().name().toLowerCase();
        };
        return kind + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
