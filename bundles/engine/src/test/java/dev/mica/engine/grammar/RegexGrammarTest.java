package dev.mica.engine.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Pattern to grammar: the shapes; llama.cpp's own sampling of them is in GgmlEngineTest. */
class RegexGrammarTest {
    @Test
    void anchoredPatternsAreExactAndUnanchoredSidesTakeAnything() throws Exception {
        assertEquals("\"\\\"\" (([A-Z]){3,3} \"-\" ([0-9]){2,4}) \"\\\"\"", RegexGrammar.string("^[A-Z]{3}-\\d{2,4}$"));
        String search = RegexGrammar.string("v\\d+");
        assertTrue(search.startsWith("\"\\\"\" [^") && search.endsWith("]* \"\\\"\""), "a search pattern may sit anywhere: " + search);
    }

    @Test
    void quotesAndBackslashesAreWrittenAsJsonEscapes() throws Exception {
        assertEquals("\"\\\"\" (\"\\\\\\\"\" ([a] | \"\\\\\\\\\")) \"\\\"\"", RegexGrammar.string("^\"[a\\\\]$"));
        assertTrue(RegexGrammar.string("^[^x]$").contains("[^x\"\\\\\\x00-\\x1F\\x7F\\n]"), "a negated class never writes a bare quote");
    }

    @Test
    void whatIsNotCoveredSaysSo() {
        for (String p : new String[] {"(a)\\1", "(?=a)b", "a^b", "[a", "(a", "*a", "a{2,1}", "\\p{L}"}) {
            assertThrows(RegexGrammar.Unsupported.class, () -> RegexGrammar.string(p), p);
        }
    }

    @Test
    void anUnsupportedPatternLeavesTheStringFree() throws Exception {
        String g = JsonSchemaGrammar.fromSchema("{\"type\": \"string\", \"pattern\": \"(?<=x)y\"}");
        assertTrue(g.contains("root ::= \"\\\"\" char* \"\\\"\""), g);
    }
}
