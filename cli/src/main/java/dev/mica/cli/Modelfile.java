package dev.mica.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ollama's Modelfile: FROM, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE, with """ multi-line
 * values. ADAPTER is refused: mica does not apply LoRA adapters yet.
 */
record Modelfile(String from, Map<String, List<String>> parameters, String template, String system, List<String[]> messages, List<String> licenses) {

    static Modelfile parse(String text, Path baseDir) {
        String from = null, template = null, system = null;
        Map<String, List<String>> params = new LinkedHashMap<>();
        List<String[]> messages = new ArrayList<>();
        List<String> licenses = new ArrayList<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            int sp = line.indexOf(' ');
            if (sp < 0) throw new CliException("Modelfile line " + (i + 1) + ": '" + line + "' has no value");
            String cmd = line.substring(0, sp).toUpperCase(Locale.ROOT);
            String rest = line.substring(sp + 1).strip();
            // MESSAGE's role and PARAMETER's name come before the value, which may be quoted as any other
            String head = null;
            if (cmd.equals("MESSAGE") || cmd.equals("PARAMETER")) {
                String[] hv = rest.split("\\s+", 2);
                if (hv.length != 2 && cmd.equals("PARAMETER")) throw new CliException("Modelfile line " + (i + 1) + ": PARAMETER needs a name and a value");
                head = hv[0];
                rest = hv.length > 1 ? hv[1].strip() : "";
            }
            if (rest.startsWith("\"\"\"")) {
                StringBuilder sb = new StringBuilder(rest.substring(3));
                while (sb.indexOf("\"\"\"") < 0) {
                    if (++i >= lines.size()) throw new CliException("Modelfile: unterminated \"\"\" for " + cmd);
                    sb.append('\n').append(lines.get(i));
                }
                rest = sb.substring(0, sb.indexOf("\"\"\""));
            } else if (rest.length() >= 2 && rest.startsWith("\"") && rest.endsWith("\"")) {
                rest = rest.substring(1, rest.length() - 1);
            }
            switch (cmd) {
                case "FROM" -> from = resolveFrom(rest, baseDir);
                case "TEMPLATE" -> template = rest;
                case "SYSTEM" -> system = rest;
                case "LICENSE" -> licenses.add(rest);
                case "PARAMETER" -> params.computeIfAbsent(head.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(rest);
                case "MESSAGE" -> messages.add(new String[] {head, rest});
                case "ADAPTER" -> throw new CliException("ADAPTER is not supported: mica does not apply LoRA adapters yet");
                default -> throw new CliException("Modelfile line " + (i + 1) + ": unknown command " + cmd);
            }
        }
        if (from == null) throw new CliException("Modelfile has no FROM line");
        return new Modelfile(from, params, template, system, messages, licenses);
    }

    private static String resolveFrom(String from, Path baseDir) {
        boolean path = from.startsWith("/") || from.startsWith(".") || from.startsWith("~") || from.endsWith(".gguf");
        if (!path) return from;
        if (from.startsWith("~/")) return System.getProperty("user.home") + from.substring(1);
        return baseDir.resolve(from).normalize().toString();
    }

    /** The /api/create body; parameter values become numbers or booleans where they look like one. */
    ObjectNode toRequest(ObjectMapper json) {
        ObjectNode body = json.createObjectNode().put("from", from);
        if (template != null) body.put("template", template);
        if (system != null) body.put("system", system);
        // Ollama's API takes one license as a string and several as an array; a model may carry
        // several (Llama's license and its acceptable use policy).
        if (licenses.size() == 1) body.put("license", licenses.getFirst());
        if (licenses.size() > 1) {
            ArrayNode a = body.putArray("license");
            licenses.forEach(a::add);
        }
        if (!parameters.isEmpty()) {
            ObjectNode p = body.putObject("parameters");
            parameters.forEach((k, values) -> {
                if (k.equals("stop")) {
                    ArrayNode a = p.putArray(k);
                    values.forEach(a::add);
                } else {
                    String v = values.getLast();
                    if (v.matches("-?\\d+")) p.put(k, Long.parseLong(v));
                    else if (v.matches("-?\\d*\\.\\d+([eE]-?\\d+)?")) p.put(k, Double.parseDouble(v));
                    else if (v.equals("true") || v.equals("false")) p.put(k, Boolean.parseBoolean(v));
                    else p.put(k, v);
                }
            });
        }
        if (!messages.isEmpty()) {
            ArrayNode a = body.putArray("messages");
            messages.forEach(m -> a.addObject().put("role", m[0]).put("content", m[1]));
        }
        return body;
    }
}
