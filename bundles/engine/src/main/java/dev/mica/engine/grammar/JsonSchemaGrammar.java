package dev.mica.engine.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A JSON schema as a GBNF grammar whose sentences are JSON documents valid against it, in the
 * manner of llama.cpp's {@code json-schema-to-grammar}: rule names follow the property paths,
 * object properties come in schema order (required ones first), and whitespace is bounded so a
 * constrained model cannot stall in it.
 *
 * <p>Understood: {@code type} (one or several), {@code enum}, {@code const}, {@code anyOf},
 * {@code oneOf}, {@code allOf} of objects, {@code $ref} within the document ({@code #},
 * {@code #/$defs/..}, {@code #/definitions/..}, any JSON pointer), {@code properties},
 * {@code required}, {@code additionalProperties}, {@code items}, {@code prefixItems},
 * {@code minItems}, {@code maxItems}, {@code minLength}, {@code maxLength}, {@code format} (date,
 * time, date-time, uuid), {@code pattern} ({@link RegexGrammar}: most regular expressions; it
 * then takes the place of the length bounds), integer {@code minimum}/{@code maximum} (also
 * exclusive). As in llama.cpp, an object lists only its declared properties unless
 * {@code additionalProperties} allows more. Not enforced (the output still parses, it may not
 * validate): patterns with back-references or look-around, number bounds, {@code multipleOf}, {@code uniqueItems}, and length or item bounds above
 * {@value #MAX_REPEAT}, which would expand into very large grammars.
 *
 * <p>Schemas that are malformed (wrong types, negative or crossed bounds, unresolvable
 * references, empty enums, nesting deeper than {@value #MAX_DEPTH}) are refused with an
 * {@link InvalidSchemaException} naming the place.
 */
public final class JsonSchemaGrammar {
    static final int MAX_REPEAT = 1000;
    static final int MAX_DEPTH = 64;
    static final String SPACE = "| \" \" | \"\\n\"{1,2} [ \\t]{0,20}";
    /**
     * One character of a JSON string. llama.cpp's rule, plus two exclusions: its grammar decodes
     * UTF-8 leniently, so a model with byte tokens could write surrogates or "code points" past
     * U+10FFFF (lead bytes F5 to F7), which no UTF-8 decoder accepts; here they are refused. (Lead
     * bytes F8 to FF decode past U+1FFFFF, outside this range: the samplers refuse tokens holding
     * them before any grammar sees them.)
     * Overlong encodings remain possible (they decode to ordinary values) and arrive as U+FFFD.
     */
    static final String CHAR = "[^\"\\\\\\x7F\\x00-\\x1F\\uD800-\\uDFFF\\U00110000-\\U001FFFFF] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})";
    /** llama.cpp's {@code char} rule, which {@link #CHAR} narrows. */
    static final String LLAMA_CPP_CHAR = "[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})";

    /** llama.cpp's primitive rules, with what each one needs. */
    private static final Map<String, String[]> PRIMITIVES = Map.ofEntries(
            Map.entry("boolean", new String[] {"(\"true\" | \"false\")"}),
            Map.entry("decimal-part", new String[] {"[0-9]{1,16}"}),
            Map.entry("integral-part", new String[] {"[0] | [1-9] [0-9]{0,15}"}),
            Map.entry("number", new String[] {"(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)?", "integral-part", "decimal-part"}),
            Map.entry("integer", new String[] {"(\"-\"? integral-part)", "integral-part"}),
            Map.entry("value", new String[] {"object | array | string | number | boolean | null", "object", "array", "string", "number", "boolean", "null"}),
            Map.entry("object", new String[] {"\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? space \"}\"", "string", "value"}),
            Map.entry("array", new String[] {"\"[\" space ( value (\",\" space value)* )? space \"]\"", "value"}),
            Map.entry("uuid", new String[] {"\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} \"\\\"\""}),
            Map.entry("char", new String[] {CHAR}),
            Map.entry("string", new String[] {"\"\\\"\" char* \"\\\"\"", "char"}),
            Map.entry("null", new String[] {"\"null\""}),
            Map.entry("date", new String[] {"[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )"}),
            Map.entry("time", new String[] {"([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{3} )? ( \"Z\" | ( \"+\" | \"-\" ) ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )"}),
            Map.entry("date-time", new String[] {"date \"T\" time", "date", "time"}),
            Map.entry("date-string", new String[] {"\"\\\"\" date \"\\\"\"", "date"}),
            Map.entry("time-string", new String[] {"\"\\\"\" time \"\\\"\"", "time"}),
            Map.entry("date-time-string", new String[] {"\"\\\"\" date-time \"\\\"\"", "date-time"}));
    private static final Set<String> TYPES = Set.of("string", "number", "integer", "boolean", "null", "object", "array");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode root;
    private final Map<String, String> rules = new TreeMap<>();
    private final Set<String> resolving = new HashSet<>();

    private JsonSchemaGrammar(JsonNode root) {
        this.root = root;
        rules.put("space", SPACE);
    }

    /** The grammar of any JSON object: Ollama's {@code "format": "json"}. */
    public static String anyObject() {
        JsonSchemaGrammar g = new JsonSchemaGrammar(JSON.createObjectNode());
        g.primitive("object");
        g.rules.put("root", "object");
        return g.format();
    }

    /** The grammar of the documents valid against {@code schema} (JSON text); its start rule is {@code root}. */
    public static String fromSchema(String schema) throws InvalidSchemaException {
        JsonNode node;
        try {
            node = JSON.readTree(schema);
        } catch (JsonProcessingException e) {
            throw new InvalidSchemaException("the schema is not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !(node.isObject() || node.isBoolean())) throw new InvalidSchemaException("the schema must be a JSON object");
        JsonSchemaGrammar g = new JsonSchemaGrammar(node);
        g.visit(node, "", "#", 0);
        return g.format();
    }

    private String format() {
        StringBuilder out = new StringBuilder();
        rules.forEach((name, rule) -> out.append(name).append(" ::= ").append(rule).append('\n'));
        return out.toString();
    }

    /** Adds the rule for {@code schema}, named after its path, and returns the rule's name. */
    private String visit(JsonNode schema, String name, String where, int depth) throws InvalidSchemaException {
        if (depth > MAX_DEPTH) throw new InvalidSchemaException(where + ": nested deeper than " + MAX_DEPTH + " levels");
        String ruleName = name.isEmpty() ? "root" : PRIMITIVES.containsKey(name) || name.equals("space") || name.equals("root") ? name + "-" : name;
        String sub = name.isEmpty() ? "" : name + "-";
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) throw new InvalidSchemaException(where + ": the schema false allows nothing");
            return add(ruleName, primitive("value"));
        }
        if (!schema.isObject()) throw new InvalidSchemaException(where + ": a schema must be an object or a boolean");
        ObjectNode s = (ObjectNode) schema;

        if (s.has("$ref")) return add(ruleName, ref(text(s, "$ref", where), where, depth));
        if (s.has("oneOf") || s.has("anyOf")) {
            String key = s.has("oneOf") ? "oneOf" : "anyOf";
            List<String> alternatives = new ArrayList<>();
            int i = 0;
            for (JsonNode alt : array(s, key, where)) {
                alternatives.add(visit(alt, sub.isEmpty() ? "alternative-" + i : sub + i, where + "/" + key + "/" + i, depth + 1));
                i++;
            }
            return add(ruleName, String.join(" | ", alternatives));
        }
        if (s.has("allOf")) return add(ruleName, allOf(array(s, "allOf", where), name, where, depth));
        if (s.has("const")) return add(ruleName, literal(compact(s.get("const"))));
        if (s.has("enum")) {
            List<String> values = new ArrayList<>();
            for (JsonNode v : array(s, "enum", where)) values.add(literal(compact(v)));
            return add(ruleName, "(" + String.join(" | ", values) + ")");
        }

        JsonNode type = s.get("type");
        if (type != null && type.isArray()) {
            List<String> alternatives = new ArrayList<>();
            int i = 0;
            for (JsonNode t : type) {
                ObjectNode one = s.deepCopy();
                one.set("type", t);
                alternatives.add(visit(one, sub.isEmpty() ? "alternative-" + i : sub + i, where, depth + 1));
                i++;
            }
            if (alternatives.isEmpty()) throw new InvalidSchemaException(where + "/type: empty list of types");
            return add(ruleName, String.join(" | ", alternatives));
        }
        String t = type == null ? inferType(s) : typeName(type, where);
        return switch (t) {
            case "object" -> object(s, ruleName, name, where, depth);
            case "array" -> array(s, ruleName, sub, where, depth);
            case "string" -> string(s, ruleName, where);
            case "integer" -> integer(s, ruleName, where);
            case "number", "boolean", "null" -> primitiveAs(ruleName, t);
            default -> add(ruleName, primitive("value"));
        };
    }

    /**
     * A primitive needs no rule of its own: its name is used where it occurs. At the root, though,
     * the root rule is the primitive's body (llama.cpp's layout).
     */
    private String primitiveAs(String ruleName, String primitive) {
        if (!ruleName.equals("root")) return primitive(primitive);
        String[] def = PRIMITIVES.get(primitive);
        rules.put("root", def[0]);
        for (int i = 1; i < def.length; i++) primitive(def[i]);
        return "root";
    }

    /** Without a type, the keywords present say what is meant; nothing at all allows any value. */
    private static String inferType(ObjectNode s) {
        if (s.has("properties") || s.has("additionalProperties") || s.has("required")) return "object";
        if (s.has("items") || s.has("prefixItems") || s.has("minItems") || s.has("maxItems")) return "array";
        if (s.has("minLength") || s.has("maxLength") || s.has("format") || s.has("pattern")) return "string";
        return "any";
    }

    private static String typeName(JsonNode type, String where) throws InvalidSchemaException {
        if (!type.isTextual() || !TYPES.contains(type.textValue())) {
            throw new InvalidSchemaException(where + "/type: unknown type " + type + " (expected one of " + new java.util.TreeSet<>(TYPES) + ")");
        }
        return type.textValue();
    }

    private String object(ObjectNode s, String ruleName, String name, String where, int depth) throws InvalidSchemaException {
        JsonNode props = s.get("properties");
        if (props != null && !props.isObject()) throw new InvalidSchemaException(where + "/properties: must be an object");
        Set<String> required = requiredNames(s, where);
        JsonNode additional = s.get("additionalProperties");
        if ((props == null || props.isEmpty()) && (additional == null || additional.isBoolean() && additional.booleanValue())) {
            return add(ruleName, primitive("object"));
        }
        List<Property> properties = new ArrayList<>();
        if (props != null) {
            for (Map.Entry<String, JsonNode> e : props.properties()) {
                properties.add(new Property(e.getKey(), e.getValue(), required.contains(e.getKey())));
            }
        }
        return add(ruleName, objectRule(properties, name, where, depth, additional));
    }

    private record Property(String name, JsonNode schema, boolean required) {}

    /**
     * Required properties in order, then the optional ones, each optional one allowed only after
     * those before it (llama.cpp's layout), then any additional properties.
     */
    private String objectRule(List<Property> properties, String name, String where, int depth, JsonNode additional) throws InvalidSchemaException {
        String sub = name.isEmpty() ? "" : name + "-";
        List<String> requiredKv = new ArrayList<>();
        List<String> optionalKv = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Property p : properties) {
            String valueRule = visit(p.schema(), sub + p.name(), where + "/properties/" + p.name(), depth + 1);
            String kv = add(sub + p.name() + "-kv", literal(compact(JSON.getNodeFactory().textNode(p.name()))) + " space \":\" space " + valueRule);
            (p.required() ? requiredKv : optionalKv).add(kv);
            names.add(p.name());
        }
        boolean extra = additional != null && !(additional.isBoolean() && !additional.booleanValue());
        if (extra) {
            String valueRule = additional.isBoolean() ? primitive("value") : visit(additional, sub + "additional-value", where + "/additionalProperties", depth + 1);
            String keyRule = names.isEmpty() ? primitive("string") : add(sub + "additional-k", notStrings(names));
            optionalKv.add(add(sub + "additional-kv", keyRule + " \":\" space " + valueRule) + "*");
        }
        if (requiredKv.isEmpty() && optionalKv.isEmpty()) return "\"{\" space \"}\"";
        StringBuilder rule = new StringBuilder("\"{\" space ");
        rule.append(String.join(" \",\" space ", requiredKv));
        if (!optionalKv.isEmpty()) {
            rule.append(" (");
            if (!requiredKv.isEmpty()) rule.append(" \",\" space ( ");
            List<String> alternatives = new ArrayList<>();
            for (int i = 0; i < optionalKv.size(); i++) alternatives.add(optionalChain(optionalKv.subList(i, optionalKv.size()), sub, false));
            rule.append(String.join(" | ", alternatives));
            if (!requiredKv.isEmpty()) rule.append(" )");
            rule.append(" )?");
        }
        return rule.append(" space \"}\"").toString();
    }

    /** The first of {@code kvs} (optional itself when {@code firstOptional}), then the rest, each optional. */
    private String optionalChain(List<String> kvs, String sub, boolean firstOptional) {
        String first = kvs.getFirst();
        boolean many = first.endsWith("*");
        String kv = many ? first.substring(0, first.length() - 1) : first;
        String comma = "( \",\" space " + kv + " )";
        String head = firstOptional ? comma + (many ? "*" : "?") : kv + (many ? " " + comma + "*" : "");
        if (kvs.size() == 1) return head;
        return head + " " + add(kv.replace("-kv", "") + "-rest", optionalChain(kvs.subList(1, kvs.size()), sub, true));
    }

    private Set<String> requiredNames(ObjectNode s, String where) throws InvalidSchemaException {
        JsonNode r = s.get("required");
        Set<String> out = new LinkedHashSet<>();
        if (r == null) return out;
        if (!r.isArray()) throw new InvalidSchemaException(where + "/required: must be an array of property names");
        for (JsonNode n : r) {
            if (!n.isTextual()) throw new InvalidSchemaException(where + "/required: must be an array of property names");
            out.add(n.textValue());
        }
        return out;
    }

    /**
     * allOf, read as llama.cpp reads it: the properties of its object members (all required, and
     * those of an {@code anyOf} member optional), or, for enum members, the values they share.
     */
    private String allOf(List<JsonNode> members, String name, String where, int depth) throws InvalidSchemaException {
        List<Property> properties = new ArrayList<>();
        Map<String, Integer> enumCounts = new java.util.LinkedHashMap<>();
        for (JsonNode m : members) {
            if (m.has("anyOf")) {
                for (JsonNode alt : m.get("anyOf")) allOfComponent(alt, false, properties, enumCounts, where);
            } else {
                allOfComponent(m, true, properties, enumCounts, where);
            }
        }
        List<String> shared = enumCounts.entrySet().stream().filter(e -> e.getValue() == members.size()).map(Map.Entry::getKey).toList();
        if (!shared.isEmpty()) return "(" + String.join(" | ", shared) + ")";
        if (!enumCounts.isEmpty() && properties.isEmpty()) throw new InvalidSchemaException(where + "/allOf: the enums share no value");
        return objectRule(properties, name, where, depth, null);
    }

    private void allOfComponent(JsonNode c, boolean required, List<Property> properties, Map<String, Integer> enumCounts, String where)
            throws InvalidSchemaException {
        JsonNode target = c.has("$ref") ? resolve(text((ObjectNode) c, "$ref", where), where) : c;
        if (target.has("enum")) {
            for (JsonNode v : array((ObjectNode) target, "enum", where)) enumCounts.merge(literal(compact(v)), 1, Integer::sum);
        } else if (target.has("properties")) {
            if (!target.get("properties").isObject()) throw new InvalidSchemaException(where + "/allOf: properties must be an object");
            target.get("properties").properties().forEach(e -> properties.add(new Property(e.getKey(), e.getValue(), required)));
        } else if (!target.isObject()) {
            throw new InvalidSchemaException(where + "/allOf: members must be schemas");
        }
    }

    private String array(ObjectNode s, String ruleName, String sub, String where, int depth) throws InvalidSchemaException {
        int min = count(s, "minItems", where, 0);
        int max = count(s, "maxItems", where, -1);
        if (max >= 0 && min > max) throw new InvalidSchemaException(where + ": minItems " + min + " exceeds maxItems " + max);
        if (min > MAX_REPEAT) throw new InvalidSchemaException(where + "/minItems: at most " + MAX_REPEAT + " is supported");
        JsonNode prefix = s.get("prefixItems");
        JsonNode items = s.has("items") ? s.get("items") : prefix != null && prefix.isObject() ? prefix : null;
        if (prefix != null && !prefix.isObject()) {
            if (!prefix.isArray()) throw new InvalidSchemaException(where + "/prefixItems: must be an array of schemas");
            List<String> tuple = new ArrayList<>();
            for (int i = 0; i < prefix.size(); i++) tuple.add(visit(prefix.get(i), sub + "tuple-" + i, where + "/prefixItems/" + i, depth + 1));
            return add(ruleName, "\"[\" space " + String.join(" \",\" space ", tuple) + " space \"]\"");
        }
        if ((items == null || items.isObject() && items.isEmpty()) && min == 0 && max < 0) return primitiveAs(ruleName, "array");
        String item = items == null ? primitive("value") : visit(items, sub + "item", where + "/items", depth + 1);
        return add(ruleName, "\"[\" space " + repetition(item, min, max > MAX_REPEAT ? -1 : max, "\",\" space") + " space \"]\"");
    }

    private String string(ObjectNode s, String ruleName, String where) throws InvalidSchemaException {
        String format = s.has("format") ? text(s, "format", where) : "";
        switch (format) {
            case "uuid" -> {
                return primitiveAs(ruleName, "uuid");
            }
            case "date", "time", "date-time" -> {
                return add(ruleName, primitive(format + "-string"));
            }
            default -> { }
        }
        if (s.has("pattern")) {
            try {
                return add(ruleName, RegexGrammar.string(text(s, "pattern", where)));
            } catch (RegexGrammar.Unsupported e) {
                // as before patterns were understood: the string is free, and may not validate
            }
        }
        int min = count(s, "minLength", where, 0);
        int max = count(s, "maxLength", where, -1);
        if (max >= 0 && min > max) throw new InvalidSchemaException(where + ": minLength " + min + " exceeds maxLength " + max);
        if (min > MAX_REPEAT) throw new InvalidSchemaException(where + "/minLength: at most " + MAX_REPEAT + " is supported");
        if (min == 0 && (max < 0 || max > MAX_REPEAT)) return primitiveAs(ruleName, "string");
        return add(ruleName, "\"\\\"\" " + repetition(primitive("char"), min, max > MAX_REPEAT ? -1 : max, null) + " \"\\\"\"");
    }

    private String integer(ObjectNode s, String ruleName, String where) throws InvalidSchemaException {
        Long min = tighter(number(s, "minimum", where, v -> (long) Math.ceil(v)), number(s, "exclusiveMinimum", where, v -> (long) Math.floor(v) + 1), true);
        Long max = tighter(number(s, "maximum", where, v -> (long) Math.floor(v)), number(s, "exclusiveMaximum", where, v -> (long) Math.ceil(v) - 1), false);
        if (min == null && max == null) return primitiveAs(ruleName, "integer");
        if (min != null && max != null && min > max) throw new InvalidSchemaException(where + ": no integer lies between the minimum and the maximum");
        StringBuilder out = new StringBuilder("(");
        IntegerRanges.build(min == null ? Long.MIN_VALUE : min, max == null ? Long.MAX_VALUE : max, out, 16, true);
        return add(ruleName, out.append(")").toString());
    }

    private static Long tighter(Long a, Long b, boolean lower) {
        if (a == null) return b;
        if (b == null) return a;
        return lower ? Math.max(a, b) : Math.min(a, b);
    }

    /** A numeric bound as the integer {@code toInteger} makes of it; draft-4's boolean exclusive flags are ignored. */
    private static Long number(ObjectNode s, String key, String where, java.util.function.DoubleFunction<Long> toInteger) throws InvalidSchemaException {
        JsonNode v = s.get(key);
        if (v == null || v.isBoolean()) return null;
        if (!v.isNumber()) throw new InvalidSchemaException(where + "/" + key + ": must be a number");
        double d = v.doubleValue();
        if (!(Math.abs(d) <= 1e15)) throw new InvalidSchemaException(where + "/" + key + ": out of range (at most 1e15 in magnitude)");
        return toInteger.apply(d);
    }

    private static int count(ObjectNode s, String key, String where, int fallback) throws InvalidSchemaException {
        JsonNode v = s.get(key);
        if (v == null) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw new InvalidSchemaException(where + "/" + key + ": must be a non-negative integer");
        }
        return v.intValue();
    }

    private String ref(String ref, String where, int depth) throws InvalidSchemaException {
        String name = "ref" + ref.substring(ref.indexOf('#') + 1).replaceAll("[^a-zA-Z0-9-]+", "-");
        if (!rules.containsKey(name) && resolving.add(ref)) {
            try {
                name = visit(resolve(ref, where), name, ref, depth + 1);
            } finally {
                resolving.remove(ref);
            }
        }
        return name;
    }

    /** A reference within this document, as a JSON pointer after {@code #}. */
    private JsonNode resolve(String ref, String where) throws InvalidSchemaException {
        if (!ref.startsWith("#")) throw new InvalidSchemaException(where + ": only references within the schema (#...) are supported, not " + ref);
        String pointer = ref.substring(1);
        JsonNode target;
        try {
            target = pointer.isEmpty() ? root : root.at(pointer);
        } catch (IllegalArgumentException e) {
            throw new InvalidSchemaException(where + ": bad reference " + ref);
        }
        if (target == null || target.isMissingNode()) throw new InvalidSchemaException(where + ": unresolvable reference " + ref);
        return target;
    }

    /**
     * A JSON string that is none of {@code names}, for additional property keys: a trie of the
     * names where every branch either continues with a character no name has there, or goes on
     * past a name's end (llama.cpp's construction, equally strict: a proper prefix of a name is
     * refused too).
     */
    private String notStrings(List<String> names) {
        String ch = primitive("char");
        StringBuilder out = new StringBuilder("[\"] ( ");
        trie(names, 0, ch, out);
        out.append(" )");
        if (!names.contains("")) out.append('?');
        return out.append(" [\"]").toString();
    }

    private static void trie(List<String> names, int at, String ch, StringBuilder out) {
        TreeMap<Integer, List<String>> next = new TreeMap<>();
        for (String n : names) {
            if (n.length() > at) next.computeIfAbsent(n.codePointAt(at), k -> new ArrayList<>()).add(n);
        }
        StringBuilder rejects = new StringBuilder();
        boolean first = true;
        for (var e : next.entrySet()) {
            String c = rangeChar(e.getKey());
            rejects.append(c);
            if (!first) out.append(" | ");
            first = false;
            out.append('[').append(c).append(']');
            int after = at + Character.charCount(e.getKey());
            List<String> longer = e.getValue().stream().filter(n -> n.length() > after).toList();
            if (longer.isEmpty()) {
                out.append(' ').append(ch).append('+');
            } else {
                out.append(" (");
                trie(longer, after, ch, out);
                out.append(')');
            }
        }
        if (!next.isEmpty()) out.append(" | [^\"").append(rejects).append("] ").append(ch).append('*');
    }

    static String rangeChar(int codePoint) {
        String c = Character.toString(codePoint);
        return switch (c) {
            case "\\", "]", "-", "^", "\"" -> "\\" + c;
            case "\n" -> "\\n";
            case "\r" -> "\\r";
            case "\t" -> "\\t";
            default -> c;
        };
    }

    /** {@code item} repeated {@code min} to {@code max} times ({@code max < 0}: no limit), separated. */
    static String repetition(String item, int min, int max, String separator) {
        if (max == 0) return "";
        if (min == 0 && max == 1) return item + "?";
        if (separator == null) {
            if (min == 1 && max < 0) return item + "+";
            if (min == 0 && max < 0) return item + "*";
            return item + "{" + min + "," + (max < 0 ? "" : max) + "}";
        }
        String result = item + " " + repetition("(" + separator + " " + item + ")", min == 0 ? 0 : min - 1, max < 0 ? -1 : max - 1, null);
        return min == 0 ? "(" + result + ")?" : result;
    }

    /** Adds a primitive rule and those it refers to (value and object refer to each other). */
    private String primitive(String name) {
        if (rules.containsKey(name)) return name;
        String[] def = PRIMITIVES.get(name);
        rules.put(name, def[0]);
        for (int i = 1; i < def.length; i++) primitive(def[i]);
        return name;
    }

    /** Adds a rule; a different rule already under the name gets a numbered twin. */
    private String add(String name, String rule) {
        String n = name.replaceAll("[^a-zA-Z0-9-]+", "-");
        if (!rules.containsKey(n) || rules.get(n).equals(rule)) {
            rules.put(n, rule);
            return n;
        }
        for (int i = 0; ; i++) {
            String key = n + i;
            if (!rules.containsKey(key) || rules.get(key).equals(rule)) {
                rules.put(key, rule);
                return key;
            }
        }
    }

    /** A GBNF string literal; the text is kept as UTF-8 (llama.cpp reads UTF-8 in literals). */
    static String literal(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static String compact(JsonNode v) {
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(ObjectNode s, String key, String where) throws InvalidSchemaException {
        JsonNode v = s.get(key);
        if (!v.isTextual()) throw new InvalidSchemaException(where + "/" + key + ": must be a string");
        return v.textValue();
    }

    private static List<JsonNode> array(ObjectNode s, String key, String where) throws InvalidSchemaException {
        JsonNode v = s.get(key);
        if (!v.isArray() || v.isEmpty()) throw new InvalidSchemaException(where + "/" + key + ": must be a non-empty array");
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }
}
