package dev.mica.graph;

import dev.mica.api.arch.ModelArchitecture;
import dev.mica.api.backend.BackendException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The architecture services a graph backend runs, by every name each answers to (GGUF's
 * {@code general.architecture}, Hugging Face's {@code architectures[0]}), as architecture bundles
 * come and go. Models already loaded keep their pass when a bundle leaves; new loads of its names
 * are refused unless another bundle offers them.
 */
public final class Architectures {
    private final String backend;
    private final Map<String, List<ModelArchitecture>> byName = new ConcurrentHashMap<>();

    /** @param backend the backend's id, for messages */
    public Architectures(String backend) {
        this.backend = backend;
    }

    public void add(ModelArchitecture architecture) {
        for (String name : architecture.names()) byName.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(architecture);
    }

    public void remove(ModelArchitecture architecture) {
        for (String name : architecture.names()) {
            List<ModelArchitecture> list = byName.get(name);
            if (list != null) list.remove(architecture);
        }
    }

    /** The names that can run now. */
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        byName.forEach((name, list) -> {
            if (!list.isEmpty()) names.add(name);
        });
        return names;
    }

    /**
     * The first architecture to arrive of those answering to {@code name}; refused, saying what is
     * installed, where none does.
     *
     * @param where where the model declared the name, for the message (e.g. "m, config.json architectures[0]")
     */
    public ModelArchitecture forName(String name, String where) throws BackendException {
        List<ModelArchitecture> candidates = name == null ? null : byName.get(name);
        if (candidates == null || candidates.isEmpty()) {
            Set<String> installed = names();
            throw new BackendException("the " + backend + " backend has no architecture bundle for '" + name + "' (" + where + "); installed: "
                    + (installed.isEmpty() ? "none" : String.join(", ", installed))
                    + ". Drop the bundle that provides it (mica-arch-*) into deploy/, or use another backend");
        }
        return candidates.getFirst();
    }
}
