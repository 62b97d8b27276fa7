package dev.mica.cache;

import dev.mica.api.backend.BackendException;
import dev.mica.api.backend.SequenceMemory;
import dev.mica.api.backend.Snapshot;
import dev.mica.api.cache.ContextCache;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The prefix cache over one context: which tokens each sequence holds, and where the next prompt
 * goes. What the memory holds is the truth; each arm's {@link PrefixTree} counts it (a prefix
 * shared by several sequences, its cells shared in the unified KV, counts once) and its policy
 * decides what goes when the arm's budget is exceeded.
 *
 * <p>Attention models reuse any prefix any sequence holds, by a copy that shares cells. When a
 * finished sequence is needed for another prompt, what it holds past their common prefix is first
 * moved to a parking sequence, so other conversations' prefixes stay until the policy lets them
 * go. Recurrent and hybrid models cannot drop a tail, so they resume from a sequence they continue
 * exactly, or from a checkpoint: a snapshot the engine takes at the positions {@link #place} asks
 * for (the end of the system prompt, every {@code interval} tokens, a few tokens before the end
 * of the prompt, where the next turn of the conversation will differ).
 */
final class ContextPlacement implements ContextCache {
    private static final System.Logger LOG = System.getLogger("mica.cache");
    private static final int[] NONE = new int[0];

    private final SequenceMemory memory;
    private final Experiment experiment;
    private final Runnable onClose;
    /** Where finished requests are recorded for replay; null when no trace is being recorded. */
    private final java.util.function.Supplier<TraceRecorder> recorder;
    private final int slots;
    private final boolean partial;
    private final int interval;
    private final int tail;
    /** Per sequence (decoding ones first, then parking ones): the tokens it holds, its arm, and when it was last given out. */
    private final int[][] held;
    private final Experiment.Arm[] armOf;
    private final boolean[] busy;
    private final long[] lastUsed;
    private final PrefixTree.Lease[] leases;
    private final int[] promptLength;
    private final String[] conversation;
    private long clock;

    ContextPlacement(SequenceMemory memory, int slots, int parking, Experiment experiment, int interval, int tail, Runnable onClose) {
        this(memory, slots, parking, experiment, interval, tail, onClose, () -> null);
    }

    ContextPlacement(SequenceMemory memory, int slots, int parking, Experiment experiment, int interval, int tail, Runnable onClose,
                     java.util.function.Supplier<TraceRecorder> recorder) {
        this.memory = memory;
        this.recorder = recorder;
        this.slots = slots;
        this.experiment = experiment;
        this.interval = interval;
        this.tail = tail;
        this.onClose = onClose;
        this.partial = memory.supportsPartialRemoval();
        int n = slots + parking;
        held = new int[n][];
        Arrays.fill(held, NONE);
        armOf = new Experiment.Arm[n];
        busy = new boolean[slots];
        lastUsed = new long[n];
        leases = new PrefixTree.Lease[slots];
        promptLength = new int[slots];
        conversation = new String[slots];
        for (Experiment.Arm arm : experiment.arms()) arm.tree().onEviction(e -> evicted(arm, e));
    }

    Experiment experiment() {
        return experiment;
    }

    /** The tokens a sequence holds, as the cache believes (tests check the memory agrees). */
    int[] held(int sequence) {
        return held[sequence];
    }

    @Override
    public boolean anyFree() {
        for (boolean b : busy) {
            if (!b) return true;
        }
        return false;
    }

    @Override
    public Placement place(Request request) throws BackendException {
        int[] prompt = request.prompt();
        int limit = prompt.length - 1; // the last prompt token is always decoded: its logits start the answer
        Experiment.Arm arm = experiment.assign(request.conversation());
        int slot = chooseSlot(prompt, limit, arm);
        try {
            int reused = makeRoom(slot, prompt, limit, arm);
            reused = bringPrefix(slot, arm, prompt, limit, reused);
            busy[slot] = true;
            armOf[slot] = arm;
            lastUsed[slot] = ++clock;
            promptLength[slot] = prompt.length;
            conversation[slot] = request.conversation();
            leases[slot] = arm.tree().lease(prompt, reused);
            return new Placement(slot, reused, checkpoints(request, reused), arm.spec().name());
        } catch (BackendException | RuntimeException e) {
            empty(slot);
            throw e;
        }
    }

    /**
     * A free decoding sequence: the one already holding the longest start of the prompt (the same
     * conversation going on needs no copy), else an empty one, else the least recently used.
     */
    private int chooseSlot(int[] prompt, int limit, Experiment.Arm arm) {
        int best = -1;
        int bestCommon = -1;
        for (int s = 0; s < slots; s++) {
            if (busy[s]) continue;
            int common = usable(s, prompt, limit, arm);
            boolean better = best < 0 || common > bestCommon
                    || common == bestCommon && (held[s].length == 0 && held[best].length > 0
                            || (held[s].length == 0) == (held[best].length == 0) && lastUsed[s] < lastUsed[best]);
            if (better) {
                best = s;
                bestCommon = common;
            }
        }
        if (best < 0) throw new IllegalStateException("no free sequence");
        return best;
    }

    /**
     * Tokens of the prompt sequence {@code s} could serve without computing: all it shares, or for
     * a recurrent state only all it holds; nothing from another arm's holdings, so each arm of an
     * experiment measures its own policy.
     */
    private int usable(int s, int[] prompt, int limit, Experiment.Arm arm) {
        if (held[s].length == 0 || armOf[s] != arm) return 0;
        int common = commonPrefix(held[s], prompt, limit);
        return partial || common == held[s].length ? common : 0;
    }

    /**
     * Empties what the slot holds beyond the prompt's start. Unless another sequence holds it too,
     * it is kept first: parked in a free parking sequence (attention models), else saved as a
     * checkpoint in host memory, so the conversation it belongs to can still go on from where it
     * ended. Returns the tokens the slot still serves.
     */
    private int makeRoom(int slot, int[] prompt, int limit, Experiment.Arm arm) {
        int[] had = held[slot];
        int keep = usable(slot, prompt, limit, arm);
        if (keep == had.length) return keep;
        if (!heldElsewhere(slot) && !(partial && park(slot))) spill(slot);
        if (!(partial && memory.removeRange(slot, keep, -1))) {
            empty(slot);
            return 0;
        }
        truncate(slot, keep);
        return keep;
    }

    private boolean heldElsewhere(int slot) {
        int[] had = held[slot];
        for (int s = 0; s < held.length; s++) {
            if (s != slot && commonPrefix(held[s], had, had.length) == had.length) return true;
        }
        return false;
    }

    /** Copies the slot's holdings to a free parking sequence; false when none is free. */
    private boolean park(int slot) {
        int[] had = held[slot];
        for (int p = slots; p < held.length; p++) {
            if (held[p].length > 0) continue;
            memory.copy(slot, p, 0, -1);
            held[p] = had;
            armOf[p] = armOf[slot];
            lastUsed[p] = lastUsed[slot];
            armOf[p].tree().hold(had, had.length);
            return true;
        }
        return false;
    }

    /** Saves the slot's whole state as a checkpoint at the end of what it holds (the host budget decides whether it stays). */
    private void spill(int slot) {
        int[] had = held[slot];
        try {
            Snapshot snapshot = memory.save(slot, Snapshot.Kind.FULL);
            armOf[slot].tree().insertCheckpoint(had, had.length, snapshot.bytes(), snapshot);
        } catch (BackendException | RuntimeException e) {
            LOG.log(Level.WARNING, "saving " + had.length + " tokens to host memory failed; they will be computed again if needed", e);
        }
    }

    /**
     * Brings the longest prefix this arm holds anywhere into the slot: by a copy from the sequence
     * holding it (attention: any prefix; recurrent: a whole sequence the prompt continues), or by
     * restoring the deepest checkpoint on the prompt's path, whichever serves more.
     */
    private int bringPrefix(int slot, Experiment.Arm arm, int[] prompt, int limit, int reused) throws BackendException {
        int source = -1;
        int best = reused;
        for (int s = 0; s < held.length; s++) {
            if (s == slot || s < slots && busy[s]) continue;
            int u = usable(s, prompt, limit, arm);
            if (u > best) {
                best = u;
                source = s;
            }
        }
        PrefixTree.Match match = arm.tree().lookup(prompt, limit);
        if (match.checkpointHandle() instanceof Snapshot snapshot && match.checkpointTokens() > best && !duplicates(slot, arm, prompt, reused)) {
            if (memory.restore(slot, snapshot)) {
                setHeld(slot, arm, Arrays.copyOf(prompt, snapshot.tokens()));
                return snapshot.tokens();
            }
            LOG.log(Level.WARNING, "a checkpoint of " + snapshot.tokens() + " tokens did not fit the context; computing instead");
            empty(slot);
            reused = 0;
        }
        if (source < 0) return reused;
        memory.removeRange(slot, 0, -1);
        memory.copy(source, slot, 0, partial ? best : -1);
        setHeld(slot, arm, Arrays.copyOf(prompt, best));
        lastUsed[source] = ++clock;
        return best;
    }

    /**
     * Whether restoring a snapshot would put cells in memory that duplicate cells a sequence of
     * this arm holds for the same tokens (a restore writes new cells; a copy shares them). The arm's
     * tree counts a prefix once however many sequences hold it, so a duplicate would slip past the
     * budget. Only attention models can hold a prefix without the whole of it; a recurrent
     * model's sequences are bounded by the decoding sequences' own share.
     */
    private boolean duplicates(int slot, Experiment.Arm arm, int[] prompt, int reused) {
        if (!partial) return false;
        if (reused > 0) return true;
        for (int s = 0; s < held.length; s++) {
            if (s != slot && armOf[s] == arm && held[s].length > 0 && held[s][0] == prompt[0]) return true;
        }
        return false;
    }

    /** Positions to checkpoint at, past what is reused: only where a tail cannot be dropped. */
    private int[] checkpoints(Request request, int reused) {
        if (partial) return NONE;
        int length = request.prompt().length;
        TreeSet<Integer> at = new TreeSet<>();
        for (int b : request.boundaries()) at.add(b);
        if (interval > 0) {
            for (int p = interval; p < length; p += interval) at.add(p);
        }
        at.add(length - tail);
        return at.stream().filter(p -> p > reused && p < length).mapToInt(Integer::intValue).toArray();
    }

    @Override
    public void checkpoint(Placement placement, int[] tokens, int length) {
        Experiment.Arm arm = armOf[placement.sequence()];
        try {
            Snapshot snapshot = memory.save(placement.sequence(), Snapshot.Kind.FULL);
            arm.tree().insertCheckpoint(tokens, length, snapshot.bytes(), snapshot);
        } catch (BackendException | RuntimeException e) {
            LOG.log(Level.WARNING, "a checkpoint at " + length + " tokens failed; this prompt will be computed again next time", e);
        }
    }

    @Override
    public void finished(Placement placement, int[] tokens, int length, long timeToFirstTokenNanos) {
        int slot = placement.sequence();
        Experiment.Arm arm = armOf[slot];
        busy[slot] = false;
        lastUsed[slot] = ++clock;
        arm.metrics().record(promptLength[slot], placement.reused(), timeToFirstTokenNanos);
        TraceRecorder trace = recorder.get();
        if (trace != null) trace.record(conversation[slot], tokens, length, promptLength[slot]);
        // the tree must know what the slot holds before the lease goes, as closing it may evict
        setHeld(slot, arm, Arrays.copyOf(tokens, length));
        closeLease(slot);
        arm.tree().trim();
    }

    @Override
    public void discard(Placement placement) {
        int slot = placement.sequence();
        busy[slot] = false;
        empty(slot);
        closeLease(slot);
    }

    @Override
    public void close() {
        for (int s = 0; s < slots; s++) closeLease(s);
        for (Experiment.Arm arm : experiment.arms()) arm.tree().budgets(0, 0); // frees every snapshot through the eviction listener
        onClose.run();
    }

    // --- what the sequences hold ----------------------------------------------------------------

    /** The slot now holds {@code tokens}: counted in its arm's tree before what it held is let go, so shared nodes never drop out. */
    private void setHeld(int s, Experiment.Arm arm, int[] tokens) {
        arm.tree().hold(tokens, tokens.length);
        if (armOf[s] != null) armOf[s].tree().release(held[s], held[s].length, 0);
        held[s] = tokens;
        armOf[s] = arm;
    }

    private void truncate(int s, int keep) {
        armOf[s].tree().release(held[s], held[s].length, keep);
        held[s] = Arrays.copyOf(held[s], keep);
    }

    private void empty(int s) {
        memory.removeRange(s, 0, -1);
        if (armOf[s] != null) armOf[s].tree().release(held[s], held[s].length, 0);
        held[s] = NONE;
    }

    private void closeLease(int slot) {
        if (leases[slot] != null) {
            leases[slot].close();
            leases[slot] = null;
        }
    }

    /**
     * The policy chose an entry: a snapshot is freed; resident cells leave every idle sequence
     * holding them (the tree never offers what a running request holds). A recurrent state cannot
     * lose a tail, so such a sequence is emptied, and the rest of its path released.
     */
    private void evicted(Experiment.Arm arm, PrefixTree.Eviction e) {
        if (e.handle() instanceof Snapshot snapshot) {
            snapshot.close();
            return;
        }
        int from = e.depth() - e.tokens();
        for (int s = 0; s < held.length; s++) {
            if (armOf[s] != arm || s < slots && busy[s] || commonPrefix(held[s], e.path(), e.depth()) < e.depth()) continue;
            if (partial && memory.removeRange(s, from, -1)) {
                held[s] = Arrays.copyOf(held[s], from); // the tree has counted the evicted node out already
            } else {
                memory.removeRange(s, 0, -1);
                arm.tree().release(held[s], from, 0);
                held[s] = NONE;
            }
        }
    }

    private static int commonPrefix(int[] a, int[] b, int limit) {
        int max = Math.min(Math.min(a.length, b.length), limit);
        int n = 0;
        while (n < max && a[n] == b[n]) n++;
        return n;
    }
}
