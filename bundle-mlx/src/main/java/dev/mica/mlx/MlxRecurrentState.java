package dev.mica.mlx;

import dev.mica.api.arch.StateLayout;
import dev.mica.mlx.ffm.Mlx;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The recurrent layers' state per layer and sequence as MLX arrays: the convolution's last inputs
 * {@code [width - 1, channels]} (oldest first) and the delta-rule matrix {@code [heads, valueDim,
 * keyDim]} (the Java backend's order, so snapshots read the same). Null stands for zeros: a
 * sequence that has taken in nothing. A step's new states stay pending until it succeeded, so a
 * failed or aborted step leaves them as they were. Used by {@link MlxMemory} under its lock, arrays
 * touched on the MLX thread only.
 */
final class MlxRecurrentState {
    private final Mlx mlx;
    private final StateLayout.Recurrent[] specs;
    private final MemorySegment[][] conv, delta, pendingConv, pendingDelta;

    MlxRecurrentState(Mlx mlx, StateLayout layout, int maxSequences) {
        this.mlx = mlx;
        int layers = layout.layers().size();
        specs = new StateLayout.Recurrent[layers];
        for (int l = 0; l < layers; l++) if (layout.layers().get(l) instanceof StateLayout.Recurrent r) specs[l] = r;
        conv = new MemorySegment[layers][maxSequences];
        delta = new MemorySegment[layers][maxSequences];
        pendingConv = new MemorySegment[layers][maxSequences];
        pendingDelta = new MemorySegment[layers][maxSequences];
    }

    StateLayout.Recurrent spec(int layer) {
        return layer >= 0 && layer < specs.length ? specs[layer] : null;
    }

    /** The committed convolution state, or null for zeros. Borrowed: the caller must not free it. */
    MemorySegment conv(int layer, int sequence) {
        return conv[layer][sequence];
    }

    MemorySegment delta(int layer, int sequence) {
        return delta[layer][sequence];
    }

    /** Takes ownership of a step's new convolution state. */
    void pendConv(int layer, int sequence, MemorySegment state) {
        if (pendingConv[layer][sequence] != null) throw new IllegalStateException("conv1d of layer " + layer + " ran twice in one step");
        pendingConv[layer][sequence] = state;
    }

    void pendDelta(int layer, int sequence, MemorySegment state) {
        if (pendingDelta[layer][sequence] != null) throw new IllegalStateException("gatedDelta of layer " + layer + " ran twice in one step");
        pendingDelta[layer][sequence] = state;
    }

    void addPending(List<MemorySegment> out) {
        for (MemorySegment[][] p : List.of(pendingConv, pendingDelta)) {
            for (MemorySegment[] layer : p) for (MemorySegment a : layer) if (a != null) out.add(a);
        }
    }

    void commit() {
        swap(conv, pendingConv);
        swap(delta, pendingDelta);
    }

    private void swap(MemorySegment[][] held, MemorySegment[][] pending) {
        for (int l = 0; l < held.length; l++) {
            for (int s = 0; s < held[l].length; s++) {
                if (pending[l][s] == null) continue;
                mlx.free(held[l][s]);
                held[l][s] = pending[l][s];
                pending[l][s] = null;
            }
        }
    }

    void rollback() {
        for (MemorySegment[][] p : List.of(pendingConv, pendingDelta)) {
            for (MemorySegment[] layer : p) {
                for (int s = 0; s < layer.length; s++) {
                    mlx.free(layer[s]);
                    layer[s] = null;
                }
            }
        }
    }

    /** Back to zeros. */
    void reset(int sequence) {
        for (int l = 0; l < specs.length; l++) {
            mlx.free(conv[l][sequence]);
            mlx.free(delta[l][sequence]);
            conv[l][sequence] = delta[l][sequence] = null;
        }
    }

    /** Arrays are immutable: the target gets new handles on the same buffers. */
    void copy(int source, int target) {
        reset(target);
        for (int l = 0; l < specs.length; l++) {
            if (conv[l][source] != null) conv[l][target] = share(conv[l][source]);
            if (delta[l][source] != null) delta[l][target] = share(delta[l][source]);
        }
    }

    private MemorySegment share(MemorySegment a) {
        int[] shape = mlx.shape(a);
        return mlx.op("mlx_reshape", a, mlx.scratchInts(shape), (long) shape.length);
    }

    /** Per recurrent layer in order: the convolution state then the delta state, zeros where none is held. */
    long floats() {
        long n = 0;
        for (StateLayout.Recurrent r : specs) if (r != null) n += r.convFloats() + r.stateFloats();
        return n;
    }

    float[] read(int sequence) {
        float[] out = new float[Math.toIntExact(floats())];
        int at = 0;
        for (int l = 0; l < specs.length; l++) {
            StateLayout.Recurrent r = specs[l];
            if (r == null) continue;
            if (conv[l][sequence] != null) System.arraycopy(mlx.floats(conv[l][sequence]), 0, out, at, (int) r.convFloats());
            at += (int) r.convFloats();
            if (delta[l][sequence] != null) System.arraycopy(mlx.floats(delta[l][sequence]), 0, out, at, (int) r.stateFloats());
            at += (int) r.stateFloats();
        }
        return out;
    }

    /** Replaces the sequence's state with what {@link #read} gave (as a native segment). */
    void write(int sequence, MemorySegment data) {
        reset(sequence);
        long at = 0;
        for (int l = 0; l < specs.length; l++) {
            StateLayout.Recurrent r = specs[l];
            if (r == null) continue;
            long c = 4 * r.convFloats(), d = 4 * r.stateFloats();
            if (c > 0) conv[l][sequence] = mlx.array(data.asSlice(at, c), new int[] {r.convWidth() - 1, r.convChannels()}, Mlx.FLOAT32);
            at += c;
            delta[l][sequence] = mlx.array(data.asSlice(at, d), new int[] {r.heads(), r.valueDim(), r.keyDim()}, Mlx.FLOAT32);
            at += d;
        }
    }

    void free() {
        rollback();
        for (int s = 0; s < (conv.length == 0 ? 0 : conv[0].length); s++) reset(s);
    }
}
