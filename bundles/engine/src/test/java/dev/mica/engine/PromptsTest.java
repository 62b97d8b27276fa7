package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.ModelInfo;
import dev.mica.api.backend.Tokenizer;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Think;
import dev.mica.api.inference.ToolCall;
import dev.mica.api.model.ModelDescriptor;
import dev.mica.engine.output.ChatFormat;
import dev.mica.gguf.SyntheticModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromptsTest {
    /** Text as tokens, one per UTF-8 byte, so the rendered text can be read back exactly. */
    private static class ByteTokenizer implements Tokenizer {
        @Override
        public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            int[] t = new int[b.length];
            for (int i = 0; i < b.length; i++) t[i] = b[i] & 0xff;
            return t;
        }

        @Override
        public byte[] piece(int token) {
            return new byte[] {(byte) token};
        }

        @Override
        public boolean isEndOfGeneration(int token) {
            return false;
        }

        @Override
        public int vocabSize() {
            return 256;
        }
    }

    private static final Tokenizer BYTES = new ByteTokenizer();
    private static final String QWEN3_LIKE = "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n"
            + "{% else %}<think>\n{% endif %}{% endif %}{# <tool_call> #}";

    private final Prompts prompts = new Prompts();

    private static ModelInfo info(String template) {
        return new ModelInfo("llama", "", 4096, 256, 8, 1, "F32", template, Set.of(), ModelInfo.MemoryKind.ATTENTION, Map.of());
    }

    private static ModelDescriptor model(String template) {
        return new ModelDescriptor("m:latest", "gguf", Path.of("m.gguf"), "sha256:00", 0, null, template, null, null, null, null);
    }

    private static String text(int[] tokens) {
        return BYTES.decode(tokens);
    }

    @Test
    void thinkBecomesEnableThinkingAndAnOpenedThinkBlockIsNoticed() throws InferenceException {
        ChatRequest r = ChatRequest.of("m", List.of(Message.of("user", "hi")));
        Prompts.Rendered on = prompts.chat(r, model(null), info(QWEN3_LIKE), BYTES, Think.ON);
        assertTrue(text(on.tokens()).endsWith("<|im_start|>assistant\n<think>\n"), text(on.tokens()));
        assertTrue(on.opensThinking());
        assertEquals(new ChatFormat(true, ChatFormat.ToolSyntax.HERMES_JSON), on.format());
        Prompts.Rendered off = prompts.chat(r, model(null), info(QWEN3_LIKE), BYTES, Think.OFF);
        assertTrue(text(off.tokens()).endsWith("<think>\n\n</think>\n\n"), text(off.tokens()));
        assertFalse(off.opensThinking());
    }

    @Test
    void aConversationRendersAsThePreviousPromptPlusTheAnswer() throws InferenceException {
        List<Message> turn1 = new ArrayList<>(List.of(Message.of("system", "Be brief."), Message.of("user", "Weather in Paris?")));
        String first = text(prompts.chat(ChatRequest.of("m", turn1), model(null), info(SyntheticModels.LLAMA3_TEMPLATE), BYTES, null).tokens());
        String answer = "It is sunny.";
        List<Message> turn2 = new ArrayList<>(turn1);
        turn2.add(Message.of("assistant", answer));
        turn2.add(Message.of("user", "And tomorrow?"));
        String second = text(prompts.chat(ChatRequest.of("m", turn2), model(null), info(SyntheticModels.LLAMA3_TEMPLATE), BYTES, null).tokens());
        assertTrue(second.startsWith(first + answer), "the second turn's prompt extends the first prompt and its answer:\n" + first + "\n---\n" + second);
    }

    @Test
    void toolCallsReachTheTemplateWithArgumentsAsObjects() throws InferenceException {
        String template = "{%- for m in messages %}{%- if m.tool_calls %}{%- for c in m.tool_calls %}<tool_call>{{ c.function.name }} {{ c.function.arguments | tojson }}</tool_call>"
                + "{%- endfor %}{%- else %}[{{ m.role }}:{{ m.content }}]{%- endif %}{%- endfor %}";
        Message call = new Message("assistant", "", null, List.of(), List.of(new ToolCall("c1", "get", Map.of("city", "Paris"))), null, null);
        ChatRequest r = ChatRequest.of("m", List.of(Message.of("user", "go"), call, new Message("tool", "22C", null, List.of(), List.of(), "get", "c1")));
        String rendered = text(prompts.chat(r, model(null), info(template), BYTES, null).tokens());
        assertEquals("[user:go]<tool_call>get {\"city\": \"Paris\"}</tool_call>[tool:22C]", rendered);
    }

    @Test
    void suffixNeedsATemplateWithAPlaceForIt() throws InferenceException {
        GenerateRequest fim = new GenerateRequest("m", "def f(", "):\n  pass", null, "<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>", false, null, null, null, null, null, null, false, 0);
        assertEquals("<PRE> def f( <SUF>):\n  pass <MID>", text(prompts.generate(fim, model(null), info(null), BYTES, null).tokens()));
        GenerateRequest noPlace = new GenerateRequest("m", "x", "y", null, null, false, null, null, null, null, null, null, false, 0);
        InferenceException e = assertThrows(InferenceException.class, () -> prompts.generate(noPlace, model(null), info(SyntheticModels.LLAMA3_TEMPLATE), BYTES, null));
        assertEquals(InferenceException.Kind.INVALID_REQUEST, e.kind());
        assertTrue(e.getMessage().contains("insert"), e.getMessage());
    }

    @Test
    void aBrokenTemplateInTheRequestIsTheClientsError() {
        GenerateRequest r = new GenerateRequest("m", "x", null, null, "{% for %}", false, null, null, null, null, null, null, false, 0);
        InferenceException e = assertThrows(InferenceException.class, () -> prompts.generate(r, model(null), info(null), BYTES, null));
        assertEquals(InferenceException.Kind.INVALID_REQUEST, e.kind());
    }

    /** BYTES with a built-in formatter that writes each turn as {@code role: content} and records what it was asked. */
    private static Tokenizer withBuiltinFormatter(List<List<Tokenizer.ChatTurn>> asked) {
        return new ByteTokenizer() {
            @Override
            public Optional<String> applyBuiltinChatTemplate(List<ChatTurn> turns, boolean addAssistant) {
                asked.add(turns);
                StringBuilder sb = new StringBuilder();
                turns.forEach(t -> sb.append(t.role()).append(": ").append(t.content()).append('\n'));
                return Optional.of(sb.append(addAssistant ? "assistant: " : "").toString());
            }
        };
    }

    @Test
    void aModelTemplateJinjaCannotRunFallsBackOnTheBackendsBuiltinFormatter() throws InferenceException {
        List<List<Tokenizer.ChatTurn>> asked = new ArrayList<>();
        Tokenizer tok = withBuiltinFormatter(asked);
        ChatRequest r = ChatRequest.of("m", List.of(Message.of("system", "Be brief."), Message.of("user", "hi")));
        for (String unrunnable : List.of("{% for m in messages %}<|im_start|>{{ m.content }}", "<|im_start|>{{ messages | no_such_filter }}")) {
            String rendered = text(prompts.chat(r, model(null), info(unrunnable), tok, null).tokens());
            assertEquals("system: Be brief.\nuser: hi\nassistant: ", rendered, unrunnable);
        }
        GenerateRequest g = new GenerateRequest("m", "hello", null, null, null, false, null, null, null, null, null, null, false, 0);
        assertEquals("user: hello\nassistant: ", text(prompts.generate(g, model(null), info("{% if %}"), tok, null).tokens()));

        InferenceException noBuiltin = assertThrows(InferenceException.class, () -> prompts.chat(r, model(null), info("{% if %}"), BYTES, null));
        assertTrue(noBuiltin.getMessage().contains("does not parse"), noBuiltin.getMessage());
    }

    @Test
    void theBuiltinFormatterNeverOverridesATemplatesOwnRefusalNorDropsTools() {
        List<List<Tokenizer.ChatTurn>> asked = new ArrayList<>();
        Tokenizer tok = withBuiltinFormatter(asked);
        ChatRequest r = ChatRequest.of("m", List.of(Message.of("user", "hi")));
        InferenceException refused = assertThrows(InferenceException.class,
                () -> prompts.chat(r, model(null), info("{{ raise_exception('roles must alternate') }}"), tok, null));
        assertTrue(refused.getMessage().contains("roles must alternate"), refused.getMessage());
        ChatRequest withTools = new ChatRequest("m", List.of(Message.of("user", "hi")), List.of(Map.of("type", "function")), null, null, null, null, false, 0, null);
        assertThrows(InferenceException.class, () -> prompts.chat(withTools, model(null), info("{% if %}"), tok, null));
        assertTrue(asked.isEmpty(), "the built-in formatter was not asked");
    }

    @Test
    void rawPromptsFollowTheirContext() throws InferenceException {
        GenerateRequest r = new GenerateRequest("m", "more", null, null, null, true, new int[] {'a', 'b'}, null, null, null, null, null, false, 0);
        Prompts.Rendered p = prompts.generate(r, model(null), info(QWEN3_LIKE), BYTES, Think.ON);
        assertEquals("abmore", text(p.tokens()));
        assertEquals(ChatFormat.PLAIN, p.format(), "raw output is not parsed");
    }
}
