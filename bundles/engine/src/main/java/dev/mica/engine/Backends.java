package dev.mica.engine;

import dev.mica.api.backend.Backend;
import dev.mica.api.inference.InferenceException;
import dev.mica.api.inference.InferenceException.Kind;
import dev.mica.api.model.ModelDescriptor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The backends present right now, and which one a model should run on: the model's own preference
 * first, then the configured order, then arrival order. Unavailable backends (native library
 * missing) and ones that do not support the model's format are skipped.
 */
final class Backends {
    private final List<Backend> present = new CopyOnWriteArrayList<>();
    private volatile List<String> order;

    Backends(List<String> order) {
        this.order = List.copyOf(order);
    }

    void add(Backend b) {
        present.add(b);
    }

    void remove(Backend b) {
        present.remove(b);
    }

    List<Backend> all() {
        return List.copyOf(present);
    }

    void order(List<String> order) {
        this.order = List.copyOf(order);
    }

    List<String> order() {
        return order;
    }

    Backend choose(ModelDescriptor model) throws InferenceException {
        List<Backend> candidates = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (Backend b : present) {
            var status = b.status();
            if (!status.available()) {
                reasons.add(b.id() + ": " + status.detail());
            } else if (!b.supports(model)) {
                reasons.add(b.id() + ": does not support " + model.format() + " models");
            } else {
                candidates.add(b);
            }
        }
        if (candidates.isEmpty()) {
            // a folder of safetensors weights has one way to run, which the reasons alone do not say
            String folder = "safetensors".equals(model.format())
                    ? "; safetensors model folders run on the mlx backend only, which needs MLX's libmlxc (MICA_MLX_PATH)" : "";
            throw new InferenceException(Kind.UNAVAILABLE, "no backend can run " + model.name()
                    + (reasons.isEmpty() ? ": no backend is installed" : " (" + String.join("; ", reasons) + ")") + folder);
        }
        List<String> ranking = new ArrayList<>();
        if (model.preferredBackend() != null) ranking.add(model.preferredBackend());
        ranking.addAll(order);
        candidates.sort(Comparator.comparingInt(b -> {
            int i = ranking.indexOf(b.id());
            return i < 0 ? Integer.MAX_VALUE : i;
        }));
        return candidates.getFirst();
    }
}
