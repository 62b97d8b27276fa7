package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ModelfileTest {
    @Test
    void parsesOllamaModelfiles() {
        Modelfile m = Modelfile.parse("""
                # a comment
                FROM ./stories.gguf
                PARAMETER temperature 0.2
                PARAMETER stop "<|end|>"
                PARAMETER stop "User:"
                PARAMETER num_ctx 512
                SYSTEM \"\"\"You are
                terse.\"\"\"
                TEMPLATE "{{ .Prompt }}"
                MESSAGE user hi
                """, Path.of("/models"));
        assertEquals("/models/stories.gguf", m.from());
        assertEquals("You are\\nterse.".replace("\\n", "\n"), m.system());
        assertEquals("{{ .Prompt }}", m.template());
        var body = m.toRequest(new ObjectMapper());
        assertEquals(0.2, body.path("parameters").path("temperature").asDouble());
        assertEquals(512, body.path("parameters").path("num_ctx").asInt());
        assertEquals(2, body.path("parameters").path("stop").size());
        assertEquals("hi", body.path("messages").get(0).path("content").asText());
    }

    @Test
    void licensesAreSentAsOllamaSendsThemAStringForOneAnArrayForSeveral() {
        Modelfile several = Modelfile.parse("""
                FROM llama3.2
                LICENSE \"\"\"LLAMA 3.2 COMMUNITY LICENSE
                  1. Grant.\"\"\"
                LICENSE "Acceptable Use Policy"
                """, Path.of("/"));
        assertEquals("{\"from\":\"llama3.2\",\"license\":[\"LLAMA 3.2 COMMUNITY LICENSE\\n  1. Grant.\",\"Acceptable Use Policy\"]}",
                several.toRequest(new ObjectMapper()).toString());
        assertEquals("{\"from\":\"x\",\"license\":\"MIT\"}", Modelfile.parse("FROM x\nLICENSE MIT", Path.of("/")).toRequest(new ObjectMapper()).toString());
        assertEquals("{\"from\":\"x\"}", Modelfile.parse("FROM x", Path.of("/")).toRequest(new ObjectMapper()).toString());
    }

    @Test
    void refusesAdaptersAndFilesWithoutFrom() {
        assertThrows(CliException.class, () -> Modelfile.parse("FROM x\nADAPTER ./lora.gguf", Path.of("/")));
        assertThrows(CliException.class, () -> Modelfile.parse("SYSTEM hi", Path.of("/")));
        assertThrows(CliException.class, () -> Modelfile.parse("FROM x\nSYSTEM \"\"\"never closed", Path.of("/")));
    }

    @Test
    void modelNamesAreNotMistakenForPaths() {
        assertEquals("llama3:8b", Modelfile.parse("FROM llama3:8b", Path.of("/x")).from());
        assertEquals("/x/m.gguf", Modelfile.parse("FROM m.gguf", Path.of("/x")).from());
    }
}
