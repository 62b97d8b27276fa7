package dev.mica.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mica.api.model.ModelFolderFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model made of several files, as Hugging Face and mlx-community publish them: config.json,
 * *.safetensors and the tokenizer files beside them. The store keeps such a folder file by file and
 * checks only the containers (JSON parses, safetensors headers stay inside their files); what the
 * config says is for the backend that runs it.
 */
final class ModelFolder {
    static final String CONFIG = "config.json";
    /** config.json and the tokenizer files are megabytes at most; a large one is not one of them. */
    private static final long MAX_SIDE_FILE = 64L << 20;
    /** Far above a real safetensors header (a few MB for thousands of tensors). */
    private static final long MAX_HEADER = 100L << 20;

    private ModelFolder() {}

    /**
     * Whether {@code name} is a file a model folder is taken with ({@link ModelFolderFiles}); anything
     * else there (README.md, .git, images) is left. Also keeps names free of path tricks.
     */
    static boolean takes(String name) {
        return ModelFolderFiles.takes(name);
    }

    static boolean isWeights(String name) {
        return name.endsWith(".safetensors");
    }

    static String mediaType(String name) {
        return isWeights(name) ? Manifest.TENSOR : name.endsWith(".json") ? Manifest.JSON_FILE : Manifest.FILE;
    }

    static boolean looksLikeOne(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(CONFIG));
    }

    /** The folder's files by name, sorted; symbolic links are followed (Hugging Face's cache is made of them). */
    static Map<String, Path> files(Path dir) throws IOException {
        Map<String, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                // the real file: a hard link to a link would be the link, and Hugging Face's are relative
                if (takes(name) && Files.isRegularFile(p)) files.put(name, p.toRealPath());
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try (DirectoryStream<Path> sub = Files.newDirectoryStream(p)) {
                        for (Path q : sub) {
                            String inner = name + "/" + q.getFileName();
                            if (takes(inner) && Files.isRegularFile(q)) files.put(inner, q.toRealPath());
                        }
                    }
                }
            }
        }
        return files;
    }

    /**
     * Checks the files as containers; throws {@link Invalid} saying which file is wrong. The
     * folder must have a config.json and weights: anything less cannot be run by anyone.
     */
    static void check(Map<String, Path> files) throws IOException {
        if (!files.containsKey(CONFIG)) throw new Invalid("not a model folder: there is no config.json (files: " + files.keySet() + ")");
        if (files.keySet().stream().noneMatch(ModelFolder::isWeights)) throw new Invalid("not a model folder: there are no .safetensors files");
        for (var e : files.entrySet()) {
            if (isWeights(e.getKey())) checkSafetensors(e.getKey(), e.getValue());
            else if (e.getKey().endsWith(".json")) checkJson(e.getKey(), e.getValue());
            else if (Files.size(e.getValue()) > MAX_SIDE_FILE) throw new Invalid(e.getKey() + " is larger than " + MAX_SIDE_FILE + " bytes");
        }
    }

    private static void checkJson(String name, Path file) throws IOException {
        if (Files.size(file) > MAX_SIDE_FILE) throw new Invalid(name + " is larger than " + MAX_SIDE_FILE + " bytes");
        JsonNode node;
        try {
            node = Manifest.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new Invalid(name + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        // config.json is an object by definition; other files need only parse (sentence-transformers' modules.json is an array)
        if (node == null || name.equals(CONFIG) && !node.isObject()) throw new Invalid(name + " is not a JSON object");
    }

    /**
     * The header: 8 bytes little-endian length, a JSON object of tensors with dtype, shape and
     * data_offsets. Every tensor must lie inside the file and be as long as its shape says.
     */
    static void checkSafetensors(String name, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new Invalid(name + " is " + size + " bytes: not a safetensors file");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            read(ch, len, 0);
            long n = len.getLong(0);
            if (n < 2 || n > MAX_HEADER) throw new Invalid(name + " declares a safetensors header of " + Long.toUnsignedString(n) + " bytes");
            if (8 + n > size) throw new Invalid(name + " is truncated: its header needs " + (8 + n) + " bytes, the file has " + size);
            ByteBuffer header = ByteBuffer.allocate((int) n);
            read(ch, header, 8);
            JsonNode root;
            try {
                String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(header.flip()).toString();
                root = Manifest.JSON.readTree(text);
            } catch (CharacterCodingException e) {
                throw new Invalid(name + " has a safetensors header that is not UTF-8");
            } catch (IOException e) {
                throw new Invalid(name + " has a safetensors header that is not JSON");
            }
            if (root == null || !root.isObject()) throw new Invalid(name + " has a safetensors header that is not a JSON object");
            long data = size - 8 - n;
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                var t = it.next();
                if (!t.getKey().equals("__metadata__")) checkTensor(name, t.getKey(), t.getValue(), data);
            }
        }
    }

    private static void checkTensor(String file, String tensor, JsonNode spec, long data) throws Invalid {
        String where = file + ": tensor '" + ModelName.printable(tensor) + "'";
        int width = spec.path("dtype").isTextual() ? width(spec.path("dtype").textValue()) : -1;
        if (width < 0) throw new Invalid(where + " has no known dtype");
        JsonNode shape = spec.path("shape"), offsets = spec.path("data_offsets");
        if (!shape.isArray() || shape.size() > 8) throw new Invalid(where + " has no valid shape");
        long count = 1;
        for (JsonNode d : shape) {
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.longValue() < 0 || d.longValue() > Integer.MAX_VALUE) {
                throw new Invalid(where + " has a bad dimension " + d);
            }
            count = Math.multiplyHigh(count, d.longValue()) != 0 || count * d.longValue() > Long.MAX_VALUE / 8 ? -1 : count * d.longValue();
            if (count < 0) throw new Invalid(where + " is too large");
        }
        if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw new Invalid(where + " has no valid data_offsets");
        }
        long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
        if (begin < 0 || end < begin || end > data) throw new Invalid(where + " lies outside the file's " + data + " data bytes (truncated?)");
        if (end - begin != count * width) throw new Invalid(where + " needs " + count * width + " bytes, has " + (end - begin));
    }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "U8", "I8", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0" -> 1;
            default -> -1;
        };
    }

    private static void read(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) throw new Invalid("unexpected end of file");
        }
    }

    /** Input that is not a model folder, or a damaged one: the caller's mistake, not the disk's. */
    static final class Invalid extends IOException {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }
}
