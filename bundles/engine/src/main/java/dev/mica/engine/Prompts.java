package dev.mica.engine;

import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.Tokenizer;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.InferenceException.Kind;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Think;
import dev.mica.api.inference.ToolCall;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.engine.output.ChatFormat;
import dev.mica.jinja.Template;
import dev.mica.jinja.TemplateException;
import java.lang.System.Logger.Level;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders requests into prompt tokens. Chat goes through the model's Jinja chat template (the
 * Modelfile's TEMPLATE when it is Jinja, else the GGUF's own); a generate request without raw is a
 * one-message chat. Ollama-style Go templates from Modelfiles are understood for their common
 * placeholders only. A model's template the Jinja interpreter cannot run falls back on the
 * backend's built-in formatter.
 */
final class Prompts {
    private static final System.Logger LOG = System.getLogger("mica.engine");

    /** Templates already said to fall back to the built-in formatter: one warning each, not one per request. */
    private final Set<String> fellBack = ConcurrentHashMap.newKeySet();
    private final Map<String, Template> parsed = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Template> e) {
            return size() > 32;
        }
    });

    /**
     * A prompt ready to decode: its tokens, and how to read the answer: the chat format of the
     * template it went through, and whether the template left a think block open for the answer.
     */
    record Rendered(int[] tokens, ChatFormat format, boolean opensThinking, int[] boundaries) {
        Rendered(int[] tokens, ChatFormat format, boolean opensThinking) {
            this(tokens, format, opensThinking, new int[0]);
        }

        static Rendered plain(int[] tokens) {
            return new Rendered(tokens, ChatFormat.PLAIN, false);
        }
    }

    /**
     * /api/generate: raw prompts go as they are (after the legacy {@code context}); others through
     * the request's or the model's template as one user turn, with {@code suffix} for fill-in-the-middle
     * templates and {@code think} as the template's {@code enable_thinking}.
     */
    Rendered generate(GenerateRequest r, ModelDescriptor d, ModelInfo info, Tokenizer tok, Think think) throws InferenceException {
        String prompt = r.prompt() == null ? "" : r.prompt();
        int[] context = r.context() == null ? new int[0] : r.context();
        if (r.raw()) {
            return Rendered.plain(concat(context, encode(tok, prompt, context.length == 0)));
        }
        String system = r.system() != null ? r.system() : d.system();
        String template = r.template() != null ? r.template() : d.template();
        String text;
        String jinja = null;
        boolean insert = r.suffix() != null && !r.suffix().isEmpty();
        if (template != null && !isJinja(template)) {
            if (insert && !template.contains(".Suffix")) throw noInsert(d);
            text = goTemplate(template, system, prompt, r.suffix());
        } else {
            jinja = template != null ? template : info.chatTemplate();
            if (insert && (jinja == null || !jinja.contains("suffix"))) throw noInsert(d);
            if (jinja == null || jinja.isBlank()) {
                text = system == null ? prompt : system + "\n\n" + prompt;
                jinja = null;
            } else {
                List<Message> messages = new ArrayList<>();
                if (system != null) messages.add(Message.of("system", system));
                messages.add(Message.of("user", prompt));
                try {
                    text = render(jinja, messages, List.of(), info, tok, think, r.suffix());
                } catch (InferenceException e) {
                    // a template the request brought is the client's to fix
                    if (r.template() == null) throw e;
                    throw new InferenceException(Kind.INVALID_REQUEST, "template: " + e.getMessage(), e);
                }
            }
        }
        ChatFormat format = ChatFormat.of(jinja);
        return new Rendered(concat(context, encode(tok, text, context.length == 0)), new ChatFormat(format.thinkTags(), ChatFormat.ToolSyntax.NONE),
                opensThinking(format, text));
    }

    Rendered chat(ChatRequest r, ModelDescriptor d, ModelInfo info, Tokenizer tok, Think think) throws InferenceException {
        List<Message> messages = new ArrayList<>();
        boolean hasSystem = r.messages().stream().anyMatch(m -> "system".equals(m.role()));
        if (d.system() != null && !hasSystem) messages.add(Message.of("system", d.system()));
        d.messages().forEach(m -> messages.add(Message.of(m.role(), m.content())));
        messages.addAll(r.messages());
        String template = d.template() != null && isJinja(d.template()) ? d.template() : info.chatTemplate();
        if (d.template() != null && !isJinja(d.template())) {
            String system = null;
            StringBuilder prompt = new StringBuilder();
            for (Message m : messages) {
                if ("system".equals(m.role())) system = m.content();
                else if ("user".equals(m.role())) prompt.append(prompt.isEmpty() ? "" : "\n").append(m.content());
            }
            return Rendered.plain(encode(tok, goTemplate(d.template(), system, prompt.toString(), null), true));
        } else if (template == null || template.isBlank()) {
            StringBuilder sb = new StringBuilder();
            for (Message m : messages) {
                if (!sb.isEmpty()) sb.append("\n\n");
                sb.append(m.content() == null ? "" : m.content());
            }
            return Rendered.plain(encode(tok, sb.toString(), true));
        }
        String text = render(template, messages, r.tools(), info, tok, think, null);
        ChatFormat format = ChatFormat.of(template);
        int[] tokens = encode(tok, text, true);
        // only recurrent and hybrid models resume at boundaries; attention models reuse any prefix
        boolean checkpoints = info.memoryKind() == ModelInfo.MemoryKind.RECURRENT || info.memoryKind() == ModelInfo.MemoryKind.HYBRID;
        int[] boundaries = checkpoints ? systemBoundary(template, messages, r.tools(), info, tok, think, tokens) : new int[0];
        return new Rendered(tokens, format, opensThinking(format, text), boundaries);
    }

    /**
     * Where the system prompt ends in the rendered tokens: the one place every conversation that
     * shares it can resume from, so the prefix cache keeps a checkpoint there (hybrid models cannot
     * resume anywhere else they did not save). Found by rendering the system message alone: the
     * tokens both renderings share.
     */
    private int[] systemBoundary(String template, List<Message> messages, List<Map<String, Object>> tools, ModelInfo info, Tokenizer tok,
                                 Think think, int[] tokens) {
        if (messages.size() < 2 || !"system".equals(messages.getFirst().role())) return new int[0];
        try {
            int[] alone = encode(tok, render(template, messages.subList(0, 1), tools, info, tok, think, null), true);
            int n = 0;
            int max = Math.min(alone.length, tokens.length - 1);
            while (n < max && alone[n] == tokens[n]) n++;
            return n > 0 ? new int[] {n} : new int[0];
        } catch (InferenceException | RuntimeException e) {
            return new int[0]; // a template that wants a user turn: no boundary, nothing lost
        }
    }

    private static InferenceException noInsert(ModelDescriptor d) {
        return new InferenceException(Kind.INVALID_REQUEST, "model '" + d.name() + "' does not support insert: its template has no place for a suffix");
    }

    /** Whether the rendered prompt ends inside a think block the template opened (Qwen3.5, DeepSeek-R1). */
    private static boolean opensThinking(ChatFormat format, String text) {
        if (!format.thinkTags()) return false;
        String t = text.stripTrailing();
        return t.endsWith("<think>");
    }

    /**
     * Renders the chat template. When the model's own template is one mica's Jinja cannot run (it
     * does not parse, or uses something the interpreter lacks), the backend's built-in formatter
     * takes over, as llama.cpp falls back on its own; never for a template that rejected the
     * conversation ({@code raise_exception}), nor when tools or a suffix need the template itself.
     */
    private String render(String source, List<Message> messages, List<Map<String, Object>> tools, ModelInfo info, Tokenizer tok, Think think, String suffix)
            throws InferenceException {
        try {
            return renderJinja(source, messages, tools, info, tok, think, suffix);
        } catch (InferenceException e) {
            boolean cannotRun = e.getCause() instanceof TemplateException te
                    && (te.kind() == TemplateException.Kind.SYNTAX || te.kind() == TemplateException.Kind.RUNTIME);
            if (!cannotRun || !source.equals(info.chatTemplate()) || !tools.isEmpty() || suffix != null) throw e;
            List<Tokenizer.ChatTurn> turns = messages.stream().map(m -> new Tokenizer.ChatTurn(m.role(), m.content() == null ? "" : m.content())).toList();
            Optional<String> builtin = tok.applyBuiltinChatTemplate(turns, true);
            if (builtin.isEmpty()) throw e;
            if (fellBack.add(source)) {
                LOG.log(Level.WARNING, "the model's chat template cannot be rendered (" + e.getMessage() + "); using the backend's built-in formatter for it");
            }
            return builtin.get();
        }
    }

    private String renderJinja(String source, List<Message> messages, List<Map<String, Object>> tools, ModelInfo info, Tokenizer tok, Think think,
                               String suffix) throws InferenceException {
        Template t;
        try {
            t = parsed.get(source);
            if (t == null) {
                t = Template.parse(source);
                parsed.put(source, t);
            }
        } catch (TemplateException e) {
            throw new InferenceException(Kind.INTERNAL, "the model's chat template does not parse: " + e.getMessage(), e);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", messages.stream().map(Prompts::asTemplateValue).toList());
        if (!tools.isEmpty()) vars.put("tools", tools);
        vars.put("add_generation_prompt", true);
        vars.put("bos_token", specialText(info, tok, "tokenizer.ggml.bos_token_id"));
        vars.put("eos_token", specialText(info, tok, "tokenizer.ggml.eos_token_id"));
        vars.put("date_string", LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ROOT)));
        if (think != null) {
            vars.put("enable_thinking", think.enabled());
            // gpt-oss and others read a reasoning effort; Ollama's think levels are its values
            if (think.level() != null) vars.put("reasoning_effort", think.level());
        }
        if (suffix != null) vars.put("suffix", suffix);
        try {
            return t.render(vars);
        } catch (TemplateException e) {
            throw new InferenceException(Kind.INVALID_REQUEST, "chat template: " + e.getMessage(), e);
        }
    }

    /** The shape chat templates expect (Hugging Face's), with tool-call arguments as objects. */
    private static Map<String, Object> asTemplateValue(Message m) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("role", m.role());
        v.put("content", m.content() == null ? "" : m.content());
        if (m.thinking() != null) v.put("reasoning_content", m.thinking());
        if (!m.toolCalls().isEmpty()) {
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ToolCall c : m.toolCalls()) {
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.name());
                fn.put("arguments", c.arguments());
                Map<String, Object> call = new LinkedHashMap<>();
                if (c.id() != null) call.put("id", c.id());
                call.put("type", "function");
                call.put("function", fn);
                calls.add(call);
            }
            v.put("tool_calls", calls);
        }
        if (m.toolName() != null) v.put("name", m.toolName());
        if (m.toolCallId() != null) v.put("tool_call_id", m.toolCallId());
        return v;
    }

    private static String specialText(ModelInfo info, Tokenizer tok, String key) {
        Object id = info.metadata().get(key);
        int token = id instanceof Number n ? n.intValue() : id instanceof String s && s.matches("\\d+") ? Integer.parseInt(s) : -1;
        if (token < 0 || token >= tok.vocabSize()) return "";
        return tok.decode(new int[] {token});
    }

    /**
     * Tokenizes with the vocabulary's special tokens (BOS) when {@code addSpecial}; a template that
     * already wrote BOS as text would otherwise produce two.
     */
    static int[] encode(Tokenizer tok, String text, boolean addSpecial) {
        int[] tokens = tok.encode(text, addSpecial, true);
        if (!addSpecial || tokens.length < 2 || tokens[0] != tokens[1]) return tokens;
        int[] specialsOnly = tok.encode("", true, false);
        if (specialsOnly.length == 1 && specialsOnly[0] == tokens[0]) {
            int[] trimmed = new int[tokens.length - 1];
            System.arraycopy(tokens, 1, trimmed, 0, trimmed.length);
            return trimmed;
        }
        return tokens;
    }

    static boolean isJinja(String template) {
        return template.contains("{%") || template.contains("messages");
    }

    /** The placeholders of Ollama's Go templates that simple Modelfiles use. */
    static String goTemplate(String template, String system, String prompt, String suffix) {
        String t = template;
        t = t.replaceAll("(?s)\\{\\{-?\\s*if \\.Suffix\\s*-?}}(.*?)\\{\\{-?\\s*end\\s*-?}}", suffix == null || suffix.isEmpty() ? "" : "$1");
        t = t.replaceAll("\\{\\{-?\\s*\\.Suffix\\s*-?}}", java.util.regex.Matcher.quoteReplacement(suffix == null ? "" : suffix));
        t = t.replaceAll("(?s)\\{\\{-?\\s*if \\.System\\s*-?}}(.*?)\\{\\{-?\\s*end\\s*-?}}", system == null || system.isEmpty() ? "" : "$1");
        t = t.replaceAll("(?s)\\{\\{-?\\s*if \\.Prompt\\s*-?}}(.*?)\\{\\{-?\\s*end\\s*-?}}", prompt.isEmpty() ? "" : "$1");
        t = t.replaceAll("\\{\\{-?\\s*\\.System\\s*-?}}", java.util.regex.Matcher.quoteReplacement(system == null ? "" : system));
        t = t.replaceAll("\\{\\{-?\\s*\\.Prompt\\s*-?}}", java.util.regex.Matcher.quoteReplacement(prompt));
        t = t.replaceAll("\\{\\{-?\\s*\\.Response\\s*-?}}", "");
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        if (a.length == 0) return b;
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
