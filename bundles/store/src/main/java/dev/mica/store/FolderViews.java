package dev.mica.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Model folders made back out of blobs: for a manifest of named file layers, a folder in mica's
 * store whose entries are symbolic links to the blobs under the files' own names, so a backend
 * reads a model folder as it was imported and the store needs to know nothing of its format.
 * Links rather than hard links so that removing the model frees the blobs' space; a folder is
 * named by the sha256 of its (name, digest) list, so models with the same files share it.
 */
final class FolderViews {
    /** A file name, or one folder and a file name (a sentence-transformers module's config). */
    private static final Pattern SAFE_NAME = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]{0,63}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,200}");
    private static final Pattern VIEW = Pattern.compile("[0-9a-f]{64}");

    private final Path root;

    FolderViews(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** The identity of a folder: sha256 over its files' names and digests, in order. */
    static String key(List<Manifest.Layer> files) {
        StringBuilder b = new StringBuilder();
        for (Manifest.Layer l : files) b.append(fileName(l)).append('\0').append(Blobs.normalize(l.digest())).append('\n');
        return Blobs.digestOf(b.toString().getBytes(StandardCharsets.UTF_8)).substring("sha256:".length());
    }

    /**
     * The name a layer gets in the folder. Layers mica wrote carry file names; Ollama's own
     * safetensors models name a tensor per layer, each blob a small safetensors file, which a
     * folder holds just as well under {@code <tensor>.safetensors}.
     */
    static String fileName(Manifest.Layer l) {
        String n = l.name();
        if (Manifest.TENSOR.equals(l.mediaType()) && !n.endsWith(".safetensors")) n = n + ".safetensors";
        return SAFE_NAME.matcher(n).matches() ? n : Blobs.normalize(l.digest()).replace(':', '-') + (Manifest.TENSOR.equals(l.mediaType()) ? ".safetensors" : "");
    }

    /** The folder for these layers, made now if it is not there yet (atomically: complete or absent). */
    Path view(List<Manifest.Layer> files, Blobs blobs) throws IOException {
        Path target = root.resolve(key(files));
        if (Files.isDirectory(target)) return target;
        Files.createDirectories(root);
        Path tmp = Files.createTempDirectory(root, ".view-");
        try {
            Set<String> seen = new HashSet<>();
            for (Manifest.Layer l : files) {
                String name = fileName(l);
                if (!seen.add(name)) throw new IOException("two layers are named " + name);
                Path blob = blobs.path(l.digest()).toAbsolutePath();
                if (!Files.isRegularFile(blob)) throw new IOException("the blob " + blob.getFileName() + " of " + name + " is missing");
                if (name.indexOf('/') > 0) Files.createDirectories(tmp.resolve(name).getParent());
                try {
                    Files.createSymbolicLink(tmp.resolve(name), blob);
                } catch (UnsupportedOperationException | IOException e) {
                    // no symbolic links (Windows without the privilege): a hard link, freed when the view goes
                    Files.createLink(tmp.resolve(name), blob);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // made by a concurrent reader with the same content
            }
            return target;
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    /** Removes the folders not in {@code live}, and leftovers of interrupted ones. */
    void retain(Set<String> live) throws IOException {
        if (!Files.isDirectory(root)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (VIEW.matcher(n).matches() ? !live.contains(n) : n.startsWith(".view-")) deleteTree(p);
            }
        }
    }

    /** Deletes the links, never what they point at (walk does not follow links). */
    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
