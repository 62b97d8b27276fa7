package dev.mica.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mica.api.model.ModelFolderFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mica create MODEL -f FILE}: from a GGUF file, a model folder (MLX/safetensors: config.json,
 * *.safetensors, tokenizer files) or a Modelfile. A server on this machine reads the weights where
 * they are (a hard link, no copy); a remote one, or any with {@code --upload}, gets them through
 * {@code /api/blobs} first, file by file for a folder, with a progress bar.
 */
@Command(name = "create", description = "Create a model from a GGUF file, an MLX model folder or a Modelfile.")
final class CreateCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "A Modelfile, a GGUF file or an MLX model folder (default: ./Modelfile).")
    Path file;

    @Option(names = {"-q", "--quantize"}, paramLabel = "TYPE",
            description = "Quantize the weights on import: q4_K_M, q8_0, ... for GGUF; int4, int8, nvfp4, mxfp4, mxfp8 for an MLX folder.")
    String quantize;

    @Option(names = "--upload", description = "Send the weights through the API even to a server on this machine (e.g. one in a container).")
    boolean upload;

    CreateCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        Path f = file != null ? file : Path.of("Modelfile");
        if (!Files.isRegularFile(f) && !(file != null && Files.isDirectory(f))) {
            throw new CliException(file == null ? "no Modelfile here: name one with -f FILE" : "no such file: " + f);
        }
        ObjectNode body = Files.isDirectory(f) || isGguf(f) ? Client.JSON.createObjectNode().put("from", f.toAbsolutePath().normalize().toString())
                : Modelfile.parse(Files.readString(f, StandardCharsets.UTF_8), f.toAbsolutePath().getParent()).toRequest(Client.JSON);
        body.put("model", model);
        if (quantize != null) body.put("quantize", quantize);
        Client client = cli.connect();
        ProgressDisplay display = new ProgressDisplay(cli.err(), cli.stderrTerminal());
        try {
            Path weights = localWeights(body);
            if (weights != null && (upload || !onThisMachine(client))) {
                ObjectNode files = Client.JSON.createObjectNode();
                Map<String, Path> upload = Files.isDirectory(weights) ? folderFiles(weights) : Map.of(weights.getFileName().toString(), weights);
                for (Map.Entry<String, Path> w : upload.entrySet()) files.put(w.getKey(), uploadBlob(client, w.getValue(), display));
                body.remove("from");
                body.set("files", files);
            }
            client.stream("/api/create", body, null, display::update);
        } finally {
            display.finish();
        }
        return 0;
    }

    /** The weights file or model folder {@code from} names, when it names one rather than a model. */
    private static Path localWeights(ObjectNode body) {
        String from = body.path("from").asText("");
        if (!from.startsWith("/")) return null;
        Path p = Path.of(from);
        if (!Files.isRegularFile(p) && !Files.isDirectory(p)) throw new CliException("no such file: " + p);
        return p;
    }

    /**
     * The files of a model folder the server takes (as its store does: JSON files one folder down
     * too, such as a sentence-transformers model's {@code 1_Pooling/config.json}), by the name they
     * have in the folder; READMEs, images and the like stay here.
     */
    private static Map<String, Path> folderFiles(Path dir) throws IOException {
        Map<String, Path> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && ModelFolderFiles.takes(name)) out.put(name, p);
                if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                try (Stream<Path> inner = Files.list(p)) {
                    for (Path q : inner.toList()) {
                        String sub = name + "/" + q.getFileName();
                        if (Files.isRegularFile(q) && ModelFolderFiles.takes(sub)) out.put(sub, q);
                    }
                }
            }
        }
        if (!out.containsKey("config.json")) throw new CliException(dir + " is not a model folder: it has no config.json");
        return out;
    }

    private static boolean onThisMachine(Client client) {
        try {
            return InetAddress.getByName(client.base().getHost()).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** Hashes the file, then sends it unless the server has that blob already. */
    private String uploadBlob(Client client, Path weights, ProgressDisplay display) throws IOException {
        long size = Files.size(weights);
        String digest = "sha256:" + sha256(weights, size, display);
        String path = "/api/blobs/" + digest;
        if (!client.exists(path)) {
            String status = "copying file " + digest;
            display.update(status, size, 0);
            client.upload(path, weights, sent -> display.update(status, size, sent));
            display.update(status, size, size);
        }
        return digest;
    }

    private static String sha256(Path file, long size, ProgressDisplay display) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String status = "gathering model components";
        long done = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                done += n;
                display.update(status, size, done);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static boolean isGguf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
