package dev.mica.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConversationKeyTest {
    @Test
    void keysComeFromTheIdOrTheFirstMessagesWhichEveryTurnRepeats() {
        assertEquals("id:c1", ConversationKey.of("c1", List.of("x")));
        String k = ConversationKey.of(null, List.of("system prompt", "first question"));
        assertEquals(k, ConversationKey.of("", List.of("system prompt", "first question", "an answer", "a later turn")));
        assertNotEquals(k, ConversationKey.of(null, List.of("system prompt", "another question")));
    }

    @Test
    void aPromptWithoutMessagesIsKeyedByItsFirstTokens() {
        int[] first = new int[300];
        int[] later = new int[400];
        later[299] = 0;
        later[350] = 9;
        assertEquals(ConversationKey.ofTokens(first), ConversationKey.ofTokens(later), "a continuation through context keeps its key");
        first[10] = 1;
        assertNotEquals(ConversationKey.ofTokens(first), ConversationKey.ofTokens(later));
    }
}
