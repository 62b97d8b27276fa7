package dev.mica.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.Batch;
import dev.mica.api.backend.Constraint;
import dev.mica.api.backend.ContextOptions;
import dev.mica.api.backend.DecodeResult;
import dev.mica.api.backend.InferenceContext;
import dev.mica.api.backend.LoadedModel;
import dev.mica.api.backend.ProgressListener;
import dev.mica.api.backend.Sampler;
import dev.mica.api.backend.SamplingParams;
import dev.mica.api.backend.Tokenizer;
import dev.mica.arch.llama.Llama;
import dev.mica.gguf.GgmlType;
import dev.mica.gguf.SyntheticModels;
import dev.mica.tokenizer.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Structured output on MLX: a random-weight model writes JSON only because the grammar makes it. */
class MlxGrammarTest {
    /** What the engine's JsonSchemaGrammar makes of {"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer","minimum":1,"maximum":9}},"required":["ok","n"]}. */
    private static final String GRAMMAR = """
            n ::= ([1-9])
            n-kv ::= "\\"n\\"" space ":" space n
            ok ::= ("true" | "false")
            ok-kv ::= "\\"ok\\"" space ":" space ok
            root ::= "{" space ok-kv "," space n-kv space "}"
            space ::= | " " | "\\n"{1,2} [ \\t]{0,20}
            """;

    @TempDir Path dir;

    @Test
    void randomWeightsWriteJsonValidAgainstTheSchema() throws Exception {
        MlxTesting.folder();
        Path file = dir.resolve("tiny.gguf");
        SyntheticModels.writeLlama(SyntheticModels.LlamaConfig.tiny(), GgmlType.F32, file);
        MlxBackend mlx = new MlxBackend(MlxTesting.folder(), List.of(new Llama()));
        try (LoadedModel model = mlx.load(file, "tiny", ProgressListener.NONE);
             InferenceContext c = model.newContext(new ContextOptions(256, 1, 16, 1, false, true));
             Sampler s = c.sampler(SamplingParams.GREEDY, new Constraint.Grammar(GRAMMAR, "root"))) {
            Tokenizer tok = model.tokenizer();
            int[] prompt = tok.encode("hello", true, false);
            Batch b = new Batch(prompt.length);
            for (int i = 0; i < prompt.length; i++) b.add(prompt[i], i, 0, i == prompt.length - 1);
            assertEquals(DecodeResult.OK, c.decode(b));
            int row = prompt.length - 1;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            boolean ended = false;
            for (int n = 0; n < 200 && !ended; n++) {
                int token = s.sample(row);
                ended = tok.isEndOfGeneration(token);
                if (ended) break;
                out.writeBytes(tok.piece(token));
                Batch next = new Batch(1);
                next.add(token, prompt.length + n, 0, true);
                assertEquals(DecodeResult.OK, c.decode(next));
                row = 0;
            }
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(ended, text);
            Map<?, ?> doc = assertInstanceOf(Map.class, Json.parse(text), text);
            assertInstanceOf(Boolean.class, doc.get("ok"), text);
            long n = assertInstanceOf(Long.class, doc.get("n"), text);
            assertTrue(n >= 1 && n <= 9, text);
            BackendException bad = assertThrows(BackendException.class, () -> c.sampler(SamplingParams.GREEDY, new Constraint.Grammar("root ::= (", "root")));
            assertTrue(bad.getMessage().startsWith("invalid GBNF grammar"), bad.getMessage());
        }
    }
}
