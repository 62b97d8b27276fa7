package dev.mica.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A cache trace that holds no text: per request, the time, a conversation key hash, and chained
 * hashes of the token blocks of prompt and answer. Chaining makes a block's hash name its whole
 * prefix, so two requests share a hash exactly where they share a prefix; a per-recorder salt
 * keeps short prompts from being guessed back from their hashes.
 */
public final class Trace {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param t nanoseconds since the trace began
     * @param blocks chained block hashes of prompt then answer, full blocks only
     */
    public record Request(long t, String conv, int blockSize, int[] blocks, int promptTokens, int generatedTokens) {
        public Request {
            if (blockSize <= 0) throw new IllegalArgumentException("block size must be positive");
            if (promptTokens < 0 || generatedTokens < 0) throw new IllegalArgumentException("negative token counts");
        }

        /** Blocks that lie wholly inside the prompt. */
        public int promptBlocks() {
            return Math.min(blocks.length, promptTokens / blockSize);
        }
    }

    private Trace() {}

    public static int[] blockHashes(int[] tokens, int length, int blockSize, long salt) {
        int n = length / blockSize;
        int[] out = new int[n];
        long h = salt ^ 0x9E3779B97F4A7C15L;
        for (int b = 0; b < n; b++) {
            for (int i = b * blockSize; i < (b + 1) * blockSize; i++) {
                h = mix(h ^ tokens[i]);
            }
            out[b] = (int) (h ^ (h >>> 32));
        }
        return out;
    }

    /** SplitMix64's finalizer: every input bit reaches every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static void append(Writer out, Request r) throws IOException {
        out.write(JSON.writeValueAsString(r));
        out.write('\n');
    }

    public static List<Request> read(Path file) throws IOException {
        try {
            return parse(Files.readAllLines(file), file.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Records from JSON lines; blank lines are skipped. {@code source} names them in errors. */
    public static List<Request> parse(List<String> lines, String source) {
        List<Request> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : lines) {
            lineNo++;
            if (line.isBlank()) continue;
            try {
                Request r = JSON.readValue(line, Request.class);
                if (r.blocks() == null || r.conv() == null) throw new IllegalArgumentException("blocks and conv are required");
                out.add(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ":" + lineNo + ": not a trace record: " + e.getMessage(), e);
            }
        }
        return out;
    }
}
