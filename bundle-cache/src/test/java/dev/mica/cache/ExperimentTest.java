package dev.mica.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.EvictionPolicy;
import dev.mica.api.cache.ExperimentArm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExperimentTest {
    private static final Map<String, EvictionPolicy> POLICIES = Map.of("lru", new LruPolicy(), "gdsf", new GdsfPolicy());

    private static Experiment experiment() {
        return new Experiment(List.of(new ExperimentArm("a", "lru", 3), new ExperimentArm("b", "gdsf", 1)), POLICIES::get, 4000, 8000, 1, System::nanoTime);
    }

    @Test
    void assignmentIsStableAndFollowsTheWeights() {
        Experiment e = experiment();
        Experiment again = experiment();
        int a = 0;
        for (int i = 0; i < 20_000; i++) {
            String key = "conversation-" + i;
            var arm = e.assign(key);
            assertEquals(arm.spec().name(), again.assign(key).spec().name(), "the same key, the same arm, in any process");
            assertSame(arm, e.assign(key));
            if (arm.spec().name().equals("a")) a++;
        }
        assertEquals(0.75, a / 20_000.0, 0.015);
    }

    @Test
    void eachArmGetsItsShareOfTheBudget() {
        Experiment e = experiment();
        PrefixTree b = e.arms().get(1).tree();
        for (int i = 0; i < 50; i++) b.insertResident(PrefixTreeTest.seq(i * 100, 50));
        assertTrue(b.residentCells() <= 1000, "a quarter of 4000 cells: " + b.residentCells());
    }

    @Test
    void unknownPoliciesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Experiment(List.of(new ExperimentArm("x", "nope", 1)), POLICIES::get, 10, 10, 1, System::nanoTime));
        assertThrows(IllegalArgumentException.class, () -> new ExperimentArm("x", "lru", 0));
    }

    @Test
    void theDifferenceOfArmsComesWithAnInterval() {
        ArmMetrics low = new ArmMetrics();
        ArmMetrics high = new ArmMetrics();
        for (int i = 0; i < 400; i++) {
            low.record(100, 20 + (i % 10), 5_000_000 + i);
            high.record(100, 60 + (i % 10), 1_000_000 + i);
        }
        ArmMetrics.Difference d = ArmMetrics.difference(low.snapshot(), high.snapshot());
        assertEquals(0.40, d.estimate(), 1e-9);
        assertTrue(d.significant());
        assertTrue(high.snapshot().ttftP50Millis() < low.snapshot().ttftP50Millis());
        ArmMetrics same = new ArmMetrics();
        for (int i = 0; i < 400; i++) same.record(100, 20 + ((i + 5) % 10), 0);
        assertTrue(!ArmMetrics.difference(low.snapshot(), same.snapshot()).significant());
    }
}
