package dev.mica.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.Batch;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadOptions;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.api.backend.Tokenizer;
import dev.mica.tokenizer.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Structured output on the Java backend: a random-weight model writes noise, so whatever valid
 * JSON it writes under a grammar is the grammar's doing. The grammars are what the engine's
 * JsonSchemaGrammar and ToolCallGrammar make of the schemas in their comments.
 */
class JavaGrammarTest {
    /** {"type":"object","properties":{"kind":{"enum":["cat","dog"]},"age":{"type":"integer","minimum":0,"maximum":20},"name":{"type":"string","maxLength":6}},"required":["kind","age","name"]} */
    private static final String PET = """
            age ::= ([0-9] | ([1] [0-9] | [2] "0"))
            age-kv ::= "\\"age\\"" space ":" space age
            char ::= [^"\\\\\\x7F\\x00-\\x1F\\uD800-\\uDFFF\\U00110000-\\U001FFFFF] | [\\\\] (["\\\\bfnrt] | "u" [0-9a-fA-F]{4})
            kind ::= ("\\"cat\\"" | "\\"dog\\"")
            kind-kv ::= "\\"kind\\"" space ":" space kind
            name ::= "\\"" char{0,6} "\\""
            name-kv ::= "\\"name\\"" space ":" space name
            root ::= "{" space kind-kv "," space age-kv "," space name-kv space "}"
            space ::= | " " | "\\n"{1,2} [ \\t]{0,20}
            """;
    /** A required call (Llama 3 JSON syntax) of get_weather(city: enum Paris|Oslo, days: integer 1..7), both required. */
    private static final String TOOL_CALL = """
            root ::= call
            alternative-0 ::= "{" space alternative-0-name-kv "," space alternative-0-parameters-kv space "}"
            alternative-0-name ::= "\\"get_weather\\""
            alternative-0-name-kv ::= "\\"name\\"" space ":" space alternative-0-name
            alternative-0-parameters ::= "{" space alternative-0-parameters-city-kv "," space alternative-0-parameters-days-kv space "}"
            alternative-0-parameters-city ::= ("\\"Paris\\"" | "\\"Oslo\\"")
            alternative-0-parameters-city-kv ::= "\\"city\\"" space ":" space alternative-0-parameters-city
            alternative-0-parameters-days ::= ([1-7])
            alternative-0-parameters-days-kv ::= "\\"days\\"" space ":" space alternative-0-parameters-days
            alternative-0-parameters-kv ::= "\\"parameters\\"" space ":" space alternative-0-parameters
            call ::= alternative-0
            space ::= | " " | "\\n"{1,2} [ \\t]{0,20}
            """;

    @TempDir Path dir;

    /** Greedy output after a short prompt, up to an end token ({@code ended}) or {@code limit} tokens. */
    private record Output(String text, boolean ended) {}

    private static Output generate(LoadedModel model, Constraint constraint, int limit) throws Exception {
        Tokenizer tok = model.tokenizer();
        try (InferenceContext c = model.newContext(new ContextOptions(512, 1, 16, 1, false, true));
             Sampler s = c.sampler(SamplingParams.GREEDY, constraint)) {
            int[] prompt = tok.encode("hello world", true, false);
            Batch b = new Batch(prompt.length);
            for (int i = 0; i < prompt.length; i++) {
                b.add(prompt[i], i, 0, i == prompt.length - 1);
                s.accept(prompt[i]);
            }
            assertEquals(DecodeResult.OK, c.decode(b));
            int row = prompt.length - 1;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int n = 0; n < limit; n++) {
                int token = s.sample(row);
                if (tok.isEndOfGeneration(token)) return new Output(out.toString(StandardCharsets.UTF_8), true);
                out.writeBytes(tok.piece(token));
                Batch next = new Batch(1);
                next.add(token, prompt.length + n, 0, true);
                assertEquals(DecodeResult.OK, c.decode(next));
                row = 0;
            }
            return new Output(out.toString(StandardCharsets.UTF_8), false);
        }
    }

    private LoadedModel load(long seed) throws Exception {
        JavaBackend backend = new JavaBackend(List.of(new Bigram()), Numerics.EXACT);
        return backend.load(Bigram.write(dir.resolve("bigram-" + seed + ".gguf"), seed), "bigram", new LoadOptions(0, true, 1), ProgressListener.NONE);
    }

    @Test
    void randomWeightsWriteJsonValidAgainstTheSchema() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            try (LoadedModel model = load(seed)) {
                Output free = generate(model, null, 40);
                assertThrows(IllegalArgumentException.class, () -> Json.parse(free.text()), "without the grammar the model writes noise: " + free.text());

                Output out = generate(model, new Constraint.Grammar(PET, "root"), 400);
                assertTrue(out.ended(), "a complete answer ends: " + out.text());
                Map<?, ?> pet = assertInstanceOf(Map.class, Json.parse(out.text()), out.text());
                assertEquals(List.of("kind", "age", "name"), List.copyOf(pet.keySet()), out.text());
                assertTrue(List.of("cat", "dog").contains(pet.get("kind")), out.text());
                long age = assertInstanceOf(Long.class, pet.get("age"), out.text());
                assertTrue(age >= 0 && age <= 20, out.text());
                String name = assertInstanceOf(String.class, pet.get("name"), out.text());
                assertTrue(name.codePointCount(0, name.length()) <= 6, out.text());
            }
        }
    }

    @Test
    void aRequiredToolCallComesOutWithValidArguments() throws Exception {
        try (LoadedModel model = load(7)) {
            Output out = generate(model, new Constraint.Grammar(TOOL_CALL, "root"), 400);
            assertTrue(out.ended(), out.text());
            Map<?, ?> call = assertInstanceOf(Map.class, Json.parse(out.text()), out.text());
            assertEquals("get_weather", call.get("name"), out.text());
            Map<?, ?> args = assertInstanceOf(Map.class, call.get("parameters"), out.text());
            assertTrue(List.of("Paris", "Oslo").contains(args.get("city")), out.text());
            long days = assertInstanceOf(Long.class, args.get("days"), out.text());
            assertTrue(days >= 1 && days <= 7, out.text());
        }
    }
}
