package dev.mica.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}, \"c\": [], \"d\": \"\\u00e9\\ud83e\\udd99\\n\\\"\\\\\\/\"} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(Arrays.asList(1L, -2500.0, true, false, null, "x"), m.get("a"));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals("é🦙\n\"\\/", m.get("d"));
        assertTrue(m.containsKey("a"));
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(m.keySet()), "keys keep their order");
    }

    @Test
    void refusesWhatIsNotJson() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "[1] 2", "{\"a\":1,}", "\"\t\"", "\"\\x\"", "01.2.3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid JSON at offset"), e.getMessage());
        }
    }

    @Test
    void refusesDeepNesting() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(10_000) + "]".repeat(10_000)));
    }
}
