package dev.mica.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.arch.ForwardPass;
import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.arch.ModelConfig;
import dev.mica.api.arch.TensorOps;
import dev.mica.api.arch.Weights;
import dev.mica.api.backend.BackendException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArchitecturesTest {
    private static ModelArchitecture named(String... names) {
        return new ModelArchitecture() {
            @Override
            public List<String> names() {
                return List.of(names);
            }

            @Override
            public ForwardPass build(ModelConfig config, Weights weights, TensorOps ops) {
                throw new UnsupportedOperationException("not built in this test");
            }
        };
    }

    @Test
    void theFirstToArriveServesANameUntilItLeaves() throws Exception {
        Architectures a = new Architectures("test");
        ModelArchitecture llama = named("llama", "LlamaForCausalLM"), other = named("llama");
        a.add(llama);
        a.add(other);
        assertEquals(Set.of("llama", "LlamaForCausalLM"), a.names());
        assertSame(llama, a.forName("LlamaForCausalLM", "m"));
        assertSame(llama, a.forName("llama", "m"));
        a.remove(llama);
        assertSame(other, a.forName("llama", "m"), "another bundle offering the name takes over");
        assertEquals(Set.of("llama"), a.names(), "a name nobody offers is not listed");
    }

    @Test
    void anUnknownNameIsRefusedSayingWhatIsInstalled() {
        Architectures a = new Architectures("test");
        BackendException none = assertThrows(BackendException.class, () -> a.forName("qwen3", "m"));
        assertTrue(none.getMessage().contains("the test backend has no architecture bundle for 'qwen3' (m); installed: none"), none.getMessage());
        a.add(named("llama"));
        BackendException some = assertThrows(BackendException.class, () -> a.forName(null, "m, config.json architectures[0]"));
        assertTrue(some.getMessage().contains("for 'null' (m, config.json architectures[0]); installed: llama. Drop the bundle"), some.getMessage());
    }
}
