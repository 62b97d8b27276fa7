package dev.mica.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JSON-schema validator for the keywords the tests use, written from the specification (draft
 * 2020-12) independently of the grammar converter: type, enum, const, properties, required,
 * additionalProperties, items, prefixItems, min/maxItems, min/maxLength, minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum, anyOf, oneOf, allOf, $ref within the document, and the
 * date format. Returns the violations, empty when the instance is valid.
 */
public final class SchemaValidator {
    private final JsonNode root;
    private final List<String> errors = new ArrayList<>();

    private SchemaValidator(JsonNode root) {
        this.root = root;
    }

    public static List<String> validate(JsonNode schema, JsonNode instance) {
        SchemaValidator v = new SchemaValidator(schema);
        v.check(schema, instance, "$");
        return v.errors;
    }

    private boolean check(JsonNode s, JsonNode x, String at) {
        int before = errors.size();
        if (s.isBoolean()) {
            if (!s.booleanValue()) errors.add(at + ": false schema");
            return errors.size() == before;
        }
        if (s.has("$ref")) return check(root.at(s.get("$ref").asText().substring(1)), x, at);
        if (s.has("type")) {
            boolean any = false;
            for (JsonNode t : s.get("type").isArray() ? s.get("type") : List.of(s.get("type"))) any |= hasType(x, t.asText());
            if (!any) errors.add(at + ": not of type " + s.get("type"));
        }
        if (s.has("enum")) {
            boolean found = false;
            for (JsonNode v : s.get("enum")) found |= equal(v, x);
            if (!found) errors.add(at + ": not in enum " + s.get("enum"));
        }
        if (s.has("const") && !equal(s.get("const"), x)) errors.add(at + ": not the const " + s.get("const"));
        if (x.isObject()) {
            JsonNode props = s.path("properties");
            for (JsonNode r : s.path("required")) {
                if (!x.has(r.asText())) errors.add(at + ": missing required " + r.asText());
            }
            for (Map.Entry<String, JsonNode> e : x.properties()) {
                if (props.has(e.getKey())) {
                    check(props.get(e.getKey()), e.getValue(), at + "." + e.getKey());
                } else if (s.has("additionalProperties")) {
                    check(s.get("additionalProperties"), e.getValue(), at + "." + e.getKey());
                }
            }
        }
        if (x.isArray()) {
            int n = x.size();
            if (s.has("minItems") && n < s.get("minItems").asInt()) errors.add(at + ": fewer than minItems");
            if (s.has("maxItems") && n > s.get("maxItems").asInt()) errors.add(at + ": more than maxItems");
            int prefix = 0;
            if (s.has("prefixItems") && s.get("prefixItems").isArray()) {
                prefix = s.get("prefixItems").size();
                for (int i = 0; i < Math.min(prefix, n); i++) check(s.get("prefixItems").get(i), x.get(i), at + "[" + i + "]");
            }
            if (s.has("items")) {
                for (int i = prefix; i < n; i++) check(s.get("items"), x.get(i), at + "[" + i + "]");
            }
        }
        if (x.isTextual()) {
            int len = x.textValue().codePointCount(0, x.textValue().length());
            if (s.has("minLength") && len < s.get("minLength").asInt()) errors.add(at + ": shorter than minLength");
            if (s.has("maxLength") && len > s.get("maxLength").asInt()) errors.add(at + ": longer than maxLength");
            if (s.has("pattern") && !java.util.regex.Pattern.compile(s.get("pattern").asText()).matcher(x.textValue()).find()) {
                errors.add(at + ": does not match the pattern " + s.get("pattern").asText());
            }
            if ("date".equals(s.path("format").asText()) && !x.textValue().matches("\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])")) {
                errors.add(at + ": not a date");
            }
        }
        if (x.isNumber()) {
            double v = x.doubleValue();
            if (s.has("minimum") && v < s.get("minimum").doubleValue()) errors.add(at + ": below minimum");
            if (s.has("maximum") && v > s.get("maximum").doubleValue()) errors.add(at + ": above maximum");
            if (s.has("exclusiveMinimum") && v <= s.get("exclusiveMinimum").doubleValue()) errors.add(at + ": not above exclusiveMinimum");
            if (s.has("exclusiveMaximum") && v >= s.get("exclusiveMaximum").doubleValue()) errors.add(at + ": not below exclusiveMaximum");
        }
        if (s.has("anyOf") || s.has("oneOf")) {
            JsonNode alternatives = s.has("anyOf") ? s.get("anyOf") : s.get("oneOf");
            int matching = 0;
            for (JsonNode alt : alternatives) {
                SchemaValidator sub = new SchemaValidator(root);
                if (sub.check(alt, x, at)) matching++;
            }
            if (matching == 0 || s.has("oneOf") && matching > 1) errors.add(at + ": matches " + matching + " alternatives");
        }
        for (JsonNode all : s.path("allOf")) check(all, x, at);
        return errors.size() == before;
    }

    private static boolean hasType(JsonNode x, String type) {
        return switch (type) {
            case "object" -> x.isObject();
            case "array" -> x.isArray();
            case "string" -> x.isTextual();
            case "integer" -> x.isIntegralNumber() || x.isNumber() && x.doubleValue() == Math.rint(x.doubleValue());
            case "number" -> x.isNumber();
            case "boolean" -> x.isBoolean();
            case "null" -> x.isNull();
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** JSON equality: numbers by value (1 equals 1.0). */
    private static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        return a.equals(b);
    }
}
