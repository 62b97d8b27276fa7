package dev.mica.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The stable key of a conversation, by which an A/B experiment of the prefix cache assigns it an
 * arm: every turn of one conversation must land in the same arm, or the arms would share its
 * prefixes and neither would measure its own policy.
 */
final class ConversationKey {
    private static final int FIRST_MESSAGES = 2;
    private static final int FIRST_TOKENS = 256;

    private ConversationKey() {}

    /** The client's conversation id when it sends one, else a hash of the first messages, which every later turn repeats. */
    static String of(String conversationId, List<String> messages) {
        if (conversationId != null && !conversationId.isBlank()) return "id:" + conversationId;
        MessageDigest sha = sha256();
        messages.stream().limit(FIRST_MESSAGES).forEach(m -> {
            sha.update((m == null ? "" : m).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        });
        return "h:" + HexFormat.of().formatHex(sha.digest(), 0, 12);
    }

    /** A prompt without messages (/api/generate): its first tokens, which a continuation through {@code context} repeats. */
    static String ofTokens(int[] prompt) {
        MessageDigest sha = sha256();
        ByteBuffer b = ByteBuffer.allocate(4 * Math.min(prompt.length, FIRST_TOKENS));
        for (int i = 0; i < Math.min(prompt.length, FIRST_TOKENS); i++) b.putInt(prompt[i]);
        sha.update(b.array());
        return "t:" + HexFormat.of().formatHex(sha.digest(), 0, 12);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
