package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mica.api.inference.ChatRequest;
import dev.mica.api.inference.GenerateRequest;
import dev.mica.api.inference.Generation;
import dev.mica.api.inference.GenerationEvent;
import dev.mica.api.inference.GenerationEvent.Done;
import dev.mica.api.inference.GenerationEvent.DoneReason;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.Message;
import dev.mica.api.inference.Options;
import dev.mica.api.inference.OutputFormat;
import dev.mica.api.inference.Think;
import dev.mica.api.inference.ToolCall;
import dev.mica.api.model.CreateRequest;
import dev.mica.api.model.ModelStore;
import dev.mica.engine.grammar.SchemaValidator;
import dev.mica.ggml.GgmlBackend;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.store.LocalModelStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine on the real GGML backend (llama.cpp through FFM) with a small random-weight llama
 * from {@link SyntheticModels}: its output is noise, which is the point for structured output —
 * only the grammar makes it JSON, so whatever it writes must parse and validate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GgmlEngineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SCHEMAS = List.of(
            """
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 12},
               "age": {"type": "integer", "minimum": 0, "maximum": 120},
               "member": {"type": "boolean"},
               "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3},
               "note": {"type": ["string", "null"], "maxLength": 5}},
             "required": ["name", "age", "member"]}""",
            """
            {"type": "array", "minItems": 1, "maxItems": 4, "items": {"$ref": "#/$defs/point"},
             "$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer", "minimum": -5, "maximum": 5},
                                                                  "y": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}},
                                  "required": ["x", "y"]}}}""",
            """
            {"anyOf": [{"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "integer", "minimum": 1, "maximum": 9}},
                        "required": ["kind", "r"]},
                       {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "boolean"}}, "required": ["kind"]}]}""",
            """
            {"type": "object", "properties": {"when": {"type": "string", "format": "date"},
                                              "pair": {"type": "array", "prefixItems": [{"type": "string", "maxLength": 3}, {"type": "null"}]}},
             "required": ["when", "pair"]}""",
            """
            {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}-\\\\d{2,4}$"},
                                              "mail": {"type": "string", "pattern": "^[a-z]{1,8}@example\\\\.(com|org)$"},
                                              "quote": {"type": "string", "pattern": "^say \\"[^\\"]{0,6}\\"$"},
                                              "tag": {"type": "string", "pattern": "^v\\\\d{1,3}(-rc\\\\d)?$"}},
             "required": ["code", "mail", "quote", "tag"]}""");

    /** A Hermes-style template (Qwen2.5, Qwen3): tools in the system turn, calls in <tool_call> tags. */
    private static final String HERMES_TEMPLATE = """
            {%- if tools %}<|im_start|>system
            <tools>{% for t in tools %}{{ t.function.name }} {% endfor %}</tools> in <tool_call></tool_call><|im_end|>
            {% endif %}{%- for m in messages %}<|im_start|>{{ m.role }}
            {{ m.content }}<|im_end|>
            {% endfor %}<|im_start|>assistant
            """;
    /** A template that opens the think block for the answer, as Qwen3.5's does. */
    private static final String THINKING_TEMPLATE = """
            {%- for m in messages %}<|im_start|>{{ m.role }}
            {{ m.content }}<|im_end|>
            {% endfor %}<|im_start|>assistant
            <think>
            """;
    private static final Map<String, Object> WEATHER = Map.of("type", "function", "function", Map.of("name", "get_weather",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string", "maxLength", 8),
                    "days", Map.of("type", "integer", "minimum", 1, "maximum", 7)), "required", List.of("city", "days"), "additionalProperties", false)));
    private static final Map<String, Object> TIME = Map.of("type", "function", "function", Map.of("name", "get_time",
            "parameters", Map.of("type", "object", "properties", Map.of("zone", Map.of("enum", List.of("UTC", "CET"))), "required", List.of("zone"))));

    @TempDir static Path dir;
    private InferenceEngine engine;

    @BeforeAll
    void start() throws Exception {
        GgmlBackend backend = new GgmlBackend(Path.of(System.getProperty("mica.llama.path")));
        assertTrue(backend.status().available(), () -> "the fetched natives are unusable: " + backend.status().detail());
        Path model = dir.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, model);
        LocalModelStore store = new LocalModelStore(dir.resolve("models"));
        store.create(new CreateRequest("tiny", model.toString(), null, null, null, null, null, null), ModelStore.StatusListener.NONE);
        store.create(new CreateRequest("hermes", model.toString(), null, HERMES_TEMPLATE, null, null, null, null), ModelStore.StatusListener.NONE);
        store.create(new CreateRequest("thinker", model.toString(), null, THINKING_TEMPLATE, null, null, null, null), ModelStore.StatusListener.NONE);
        // One compute thread: on a busy machine ggml's threads wait for each other at every graph
        // node, and a tiny model's decode is all synchronisation.
        engine = new InferenceEngine(store, null, Map.of("backends", "ggml", "num_parallel", "4", "num_thread", "1"));
        engine.addBackend(backend);
    }

    @AfterAll
    void stop() {
        if (engine != null) engine.deactivate();
    }

    private record Run(String text, List<GenerationEvent.Token> tokens, Done done) {}

    private Generation start(String prompt, OutputFormat format, Options options, boolean logprobs, List<GenerationEvent.Token> into, StringBuilder text)
            throws InferenceException {
        GenerateRequest r = new GenerateRequest("tiny", prompt, null, null, null, true, null, null, format, options, null, null, logprobs, logprobs ? 3 : 0);
        return engine.generate(r, e -> {
            if (e instanceof GenerationEvent.Token t) {
                text.append(t.text());
                into.add(t);
            }
        });
    }

    private Run run(String prompt, OutputFormat format, Options options, boolean logprobs) throws Exception {
        List<GenerationEvent.Token> tokens = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        Done done = start(prompt, format, options, logprobs, tokens, text).result().get(60, TimeUnit.SECONDS);
        return new Run(text.toString(), tokens, done);
    }

    private static Options sampling(double temperature, long seed) {
        return new Options(null, 400, null, temperature, null, null, null, null, null, null, null, null, seed, null, null, null, null, null);
    }

    @Test
    void everyConstrainedAnswerParsesAndValidates() throws Exception {
        for (String schema : SCHEMAS) {
            JsonNode parsed = JSON.readTree(schema);
            for (int seed = 0; seed < 4; seed++) {
                Options options = seed == 0 ? sampling(0, 0) : sampling(1.0, seed);
                Run run = run("Once upon a time", new OutputFormat.Schema(schema), options, false);
                assertEquals(DoneReason.STOP, run.done().reason(), () -> "the grammar ends the answer: " + run.text());
                JsonNode answer = JSON.readTree(run.text());
                List<String> errors = SchemaValidator.validate(parsed, answer);
                assertTrue(errors.isEmpty(), () -> run.text() + " violates " + schema + ": " + errors);
            }
        }
    }

    /** A random model answers in noise; with a tool call required, the grammar makes every answer a valid call the parser reads. */
    @Test
    void aRequiredToolCallIsAlwaysACallOfAnOfferedTool() throws Exception {
        for (int seed = 0; seed < 4; seed++) {
            List<ToolCall> calls = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            ChatRequest r = new ChatRequest("hermes", List.of(Message.of("user", "What is the weather in Paris?")), List.of(WEATHER, TIME), null,
                    seed == 0 ? sampling(0, 0) : sampling(1.0, seed), null, null, false, 0, null, true);
            Done done = engine.chat(r, e -> {
                if (e instanceof GenerationEvent.ToolCalls t) calls.addAll(t.calls());
                if (e instanceof GenerationEvent.Token t) text.append(t.text());
            }).result().get(60, TimeUnit.SECONDS);
            assertTrue(!calls.isEmpty(), () -> "no tool call parsed; text: " + text + ", " + done);
            for (ToolCall c : calls) {
                assertTrue(c.name().equals("get_weather") || c.name().equals("get_time"), c.toString());
                if (c.name().equals("get_weather")) {
                    assertTrue(c.arguments().get("city") instanceof String city && city.length() <= 8, c.toString());
                    assertTrue(c.arguments().get("days") instanceof Number n && n.intValue() >= 1 && n.intValue() <= 7, c.toString());
                } else {
                    assertTrue(List.of("UTC", "CET").contains(c.arguments().get("zone")), c.toString());
                }
            }
        }
    }

    /** Noise never closes its think block; a budget makes the engine close it, and the answer follows. */
    @Test
    void aThinkingBudgetClosesTheThinkBlockAndTheAnswerFollows() throws Exception {
        for (Think think : List.of(Think.ON, new Think(true, null, 12))) {
            StringBuilder thinking = new StringBuilder();
            StringBuilder answer = new StringBuilder();
            ChatRequest r = new ChatRequest("thinker", List.of(Message.of("user", "Think about it.")), null, null, sampling(0, 0), null, think, false, 0, null);
            Done done = engine.chat(r, e -> {
                if (e instanceof GenerationEvent.Thinking t) thinking.append(t.text());
                if (e instanceof GenerationEvent.Token t) answer.append(t.text());
            }).result().get(60, TimeUnit.SECONDS);
            if (think.budgetTokens() == 0) {
                assertTrue(answer.isEmpty(), () -> "without a budget the noise thinks to the end: " + answer);
            } else {
                assertTrue(!answer.isEmpty(), () -> "the answer began after the budget; thinking: " + thinking + ", " + done);
                assertTrue(thinking.length() <= 12 * 16, "about twelve tokens of thinking: " + thinking);
                assertTrue(done.metrics().evalCount() > 12, done.toString());
            }
        }
    }

    @Test
    void aRequiredToolCallAndAFormatTogetherAreRefused() {
        ChatRequest r = new ChatRequest("hermes", List.of(Message.of("user", "hi")), List.of(WEATHER), new OutputFormat.AnyJson(), null, null, null,
                false, 0, null, true);
        InferenceException e = assertThrows(InferenceException.class, () -> engine.chat(r, ev -> { }));
        assertTrue(e.getMessage().contains("cannot both"), e.getMessage());
        ChatRequest plain = new ChatRequest("tiny", List.of(Message.of("user", "hi")), List.of(WEATHER), null, null, null, null, false, 0, null, true);
        InferenceException noSyntax = assertThrows(InferenceException.class, () -> engine.chat(plain, ev -> { }));
        assertTrue(noSyntax.getMessage().contains("no tool-call syntax"), noSyntax.getMessage());
    }

    @Test
    void formatJsonGivesAJsonObject() throws Exception {
        for (int seed = 0; seed < 3; seed++) {
            Run run = run("The data:", new OutputFormat.AnyJson(), seed == 0 ? sampling(0, 0) : sampling(0.7, seed), false);
            if (run.done().reason() == DoneReason.STOP) {
                assertTrue(JSON.readTree(run.text()).isObject(), run.text());
            } else {
                assertTrue(run.text().startsWith("{"), "cut by num_predict, still JSON so far: " + run.text());
            }
        }
    }

    @Test
    void constrainedSequencesDecodedTogetherEachKeepTheirOwnGrammar() throws Exception {
        List<Generation> generations = new ArrayList<>();
        List<StringBuilder> texts = new ArrayList<>();
        for (int i = 0; i < SCHEMAS.size(); i++) {
            StringBuilder text = new StringBuilder();
            texts.add(text);
            generations.add(start("Request " + i, new OutputFormat.Schema(SCHEMAS.get(i)), sampling(0.8, 100 + i), false, new ArrayList<>(), text));
        }
        for (int i = 0; i < SCHEMAS.size(); i++) {
            Done done = generations.get(i).result().get(60, TimeUnit.SECONDS);
            assertEquals(DoneReason.STOP, done.reason());
            List<String> errors = SchemaValidator.validate(JSON.readTree(SCHEMAS.get(i)), JSON.readTree(texts.get(i).toString()));
            assertTrue(errors.isEmpty(), texts.get(i) + ": " + errors);
        }
        assertEquals(0, engine.queue().running(), "no sequence left behind");
        assertEquals(0, engine.queue().waiting());
    }

    @Test
    void malformedSchemasAreRefusedBeforeAnyEvent() {
        for (String bad : List.of("{\"type\": \"strnig\"}", "{\"type\": \"string\", \"minLength\": -1}", "{\"$ref\": \"#/$defs/missing\"}",
                "{\"enum\": []}", "{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 1}", "[1, 2]", "{\"type\": \"array\", \"minItems\": 100000}")) {
            InferenceException e = assertThrows(InferenceException.class, () -> start("x", new OutputFormat.Schema(bad), sampling(0, 0), false, new ArrayList<>(), new StringBuilder()), bad);
            assertEquals(InferenceException.Kind.INVALID_REQUEST, e.kind(), bad);
            assertTrue(e.getMessage().startsWith("invalid format schema"), e.getMessage());
        }
        assertEquals(0, engine.queue().waiting());
    }

    @Test
    void logprobsComeFromTheModelsDistribution() throws Exception {
        Run run = run("Once upon a time", null, new Options(null, 12, null, 0.0, null, null, null, null, null, null, null, null, null, null, null, null, null, null), true);
        assertEquals(12, run.done().metrics().evalCount());
        int entries = 0;
        for (GenerationEvent.Token t : run.tokens()) {
            GenerationEvent.Logprob lp = t.logprob();
            if (lp == null) continue;
            entries++;
            assertTrue(lp.logprob() <= 0, "a log-probability: " + lp.logprob());
            assertEquals(3, lp.top().size());
            assertEquals(lp.top().getFirst().token(), lp.token(), "greedy picks the most likely token");
            assertEquals(lp.top().getFirst().logprob(), lp.logprob(), 1e-9);
            double mass = 0;
            for (int i = 0; i < lp.top().size(); i++) {
                mass += Math.exp(lp.top().get(i).logprob());
                if (i > 0) assertTrue(lp.top().get(i).logprob() <= lp.top().get(i - 1).logprob(), "most likely first");
            }
            assertTrue(mass <= 1 + 1e-6, "probabilities of distinct tokens sum to at most 1");
        }
        assertEquals(12, entries, "one entry per generated token");
    }
}
