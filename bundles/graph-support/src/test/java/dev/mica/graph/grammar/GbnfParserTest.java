package dev.mica.graph.grammar;

import static dev.mica.graph.grammar.Sentences.matches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The GBNF syntax llama.cpp's parser reads, checked by what each grammar matches; and what it refuses. */
class GbnfParserTest {
    @Test
    void alternativesSequencesAndGroups() throws Exception {
        String g = "root ::= \"a\" | \"b\" \"c\" | (\"d\" | \"e\") \"f\"";
        for (String s : new String[] {"a", "bc", "df", "ef"}) assertTrue(matches(g, s), s);
        for (String s : new String[] {"", "b", "ac", "abc", "f", "dfx"}) assertFalse(matches(g, s), s);
    }

    @Test
    void repetitions() throws Exception {
        assertTrue(matches("root ::= \"a\"* \"b\"", "b"));
        assertTrue(matches("root ::= \"a\"* \"b\"", "aaab"));
        assertFalse(matches("root ::= \"a\"+ \"b\"", "b"));
        assertTrue(matches("root ::= \"a\"+ \"b\"", "aab"));
        assertTrue(matches("root ::= \"a\"? \"b\"", "ab"));
        assertFalse(matches("root ::= \"a\"? \"b\"", "aab"));
        assertTrue(matches("root ::= (\"ab\"){2}", "abab"));
        assertFalse(matches("root ::= (\"ab\"){2}", "ab"));
        assertFalse(matches("root ::= (\"ab\"){2}", "ababab"));
        for (int n = 0; n <= 5; n++) {
            String s = "x".repeat(n);
            assertEquals(n >= 2, matches("root ::= \"x\"{2,}", s), s);
            assertEquals(n >= 1 && n <= 3, matches("root ::= \"x\"{1,3}", s), s);
            assertEquals(n <= 2, matches("root ::= \"x\"{0,2}", s), s);
            assertEquals(n == 0, matches("root ::= \"x\"{0}", s), s);
        }
        // past llama.cpp's cap of 2000 an upper bound is dropped
        assertTrue(matches("root ::= \"a\"{0,3000}", "a".repeat(2500)));
        assertFalse(matches("root ::= \"a\"{0,2000}", "a".repeat(2001)));
        // a repetition applies to the item before it only; repeating a repetition repeats its rule
        assertTrue(matches("root ::= \"a\" \"b\"{2} [c]?", "abb"));
        assertTrue(matches("root ::= \"a\"{2}{2}", "aaaa"));
    }

    @Test
    void literalEscapes() throws Exception {
        assertTrue(matches("root ::= \"\\n\\r\\t\\\\\\\"\\x41\\u00e9\\U0001F600[]-\"", "\n\r\t\\\"Aé😀[]-"));
        assertTrue(matches("root ::= \"héllo ✓\"", "héllo ✓"), "UTF-8 in a literal is read as characters");
        assertFalse(matches("root ::= \"\\x41\"", "a"));
    }

    @Test
    void characterClasses() throws Exception {
        String g = "root ::= [a-c0-9_]+";
        assertTrue(matches(g, "ab9_c0"));
        assertFalse(matches(g, "abd"));
        assertTrue(matches("root ::= [^a-z\"]+", "ABC-é"));
        assertFalse(matches("root ::= [^a-z\"]+", "AbC"));
        assertFalse(matches("root ::= [^a-z\"]+", "A\""));
        assertTrue(matches("root ::= [\\]\\-\\\\]+", "]-\\"));
        assertTrue(matches("root ::= [-a]+ [b-]", "-a-b"), "a '-' first or before ']' is itself");
        assertTrue(matches("root ::= [b-]", "-"));
        assertTrue(matches("root ::= [\\x00-\\x1F\\u00e0-\\u00ff]", "é"));
        assertTrue(matches("root ::= [\\U0001F600-\\U0001F64F]", "🙃"));
        assertFalse(matches("root ::= [\\U0001F600-\\U0001F64F]", "😀a"));
        assertTrue(matches("root ::= [.]", "."), "a dot in a class is a dot");
        assertFalse(matches("root ::= [.]", "x"));
    }

    @Test
    void anyCharacter() throws Exception {
        assertTrue(matches("root ::= . . .", "a€😀"), "one character each, however many bytes");
        assertFalse(matches("root ::= . .", "abc"));
    }

    @Test
    void layoutCommentsAndNames() throws Exception {
        String g = """
                # a comment before the rules
                root ::= item-1 (   # a comment, then the group goes on
                  "+" item-1 )*\r
                \r
                item-1 ::= (
                    "x"   # inside a group, newlines are spaces
                  | "y" )
                """;
        assertTrue(matches(g, "x+y+x"));
        assertFalse(matches(g, "x+"));
        assertTrue(matches("root ::= \"a\" |\n  \"b\"", "b"), "after '|' the rule goes on on the next line");
        assertTrue(matches("root ::= a\na ::= \"1\"\na ::= \"2\"", "2"), "a later definition replaces an earlier one, as in llama.cpp");
    }

    @Test
    void tokenReferencesByIdOrText() throws Exception {
        TestTokenizer tok = TestTokenizer.with("<think>", "</think>");
        Vocabulary v = Vocabulary.of(tok);
        TokenGrammar g = TokenGrammar.compile("root ::= <think> \"a\" <[" + tok.id("</think>") + "]>", "root", v);
        assertTrue(g.allows(tok.id("<think>")));
        assertFalse(g.allows('<'), "the reference is to the token, not its text");
        GrammarException e = assertThrows(GrammarException.class, () -> TokenGrammar.compile("root ::= <thinking>", "root", v));
        assertTrue(e.getMessage().contains("'<thinking>' is not a single token"), e.getMessage());
        assertThrows(GrammarException.class, () -> GbnfParser.parse("root ::= <think>", "root", null));
        GbnfParser.parse("root ::= <[12]> !<[13]>", "root", null);
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertError("root ::= value", "undefined rule 'value'");
        assertError("start ::= \"a\"", "no rule 'root'");
        assertError("", "no rules");
        assertError("root ::= \"abc", "unexpected end of input");
        assertError("root ::= [abc", "unexpected end of input");
        assertError("root ::= \"\\q\"", "unknown escape");
        assertError("root ::= \"\\x4\"", "expecting 2 hex chars");
        assertError("root = \"a\"", "expecting ::=");
        assertError("root ::= * \"a\"", "expecting an item before");
        assertError("root ::= (\"a\" \"b\"", "expecting ')'");
        assertError("root ::= \"a\" b ::= \"c\"", "expecting newline or end");
        assertError("root ::= \"a\"{x}", "expecting an int");
        assertError("root ::= \"a\"{2 3}", "expecting ','");
        assertError("root ::= \"a\"{2,3", "expecting '}'");
        assertError("root ::= \"a\"{3,1}", "maximum below its minimum");
        assertError("root ::= \"a\"{2001}", "exceeds 2000");
        assertError("root ::= (\"a\"{0,50}){0,50}", "more than 2000 rules");
        assertError("root ::= \"a\"\n  \"b\"", "expecting a name"); // outside a group a newline ends the rule
        assertError("root ::= root \"a\" | \"b\"", "left recursion");
        assertError("root ::= a \"x\"\na ::= b | \"y\"\nb ::= root", "left recursion");
        assertError("root ::= e root \"x\" | \"y\"\ne ::= \"z\" |", "left recursion");
        assertError("root ::= @", "expecting newline or end");
    }

    @Test
    void rightRecursionIsFine() throws Exception {
        assertTrue(matches("root ::= \"(\" root \")\" | \"x\"", "((x))"));
        assertFalse(matches("root ::= \"(\" root \")\" | \"x\"", "((x)"));
    }

    private static void assertError(String gbnf, String message) {
        GrammarException e = assertThrows(GrammarException.class, () -> Sentences.grammar(gbnf), gbnf);
        assertTrue(e.getMessage().contains(message), gbnf + " -> " + e.getMessage());
    }
}
