package dev.mica.backend.java.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexRunsOnceInEveryLoop() {
        try (Parallel pool = new Parallel(3, "test")) {
            for (int loop = 0; loop < 200; loop++) {
                int count = 1 + loop % 37;
                AtomicIntegerArray seen = new AtomicIntegerArray(count);
                pool.forEach(count, seen::incrementAndGet);
                for (int i = 0; i < count; i++) assertEquals(1, seen.get(i), "loop " + loop + " index " + i);
            }
        }
    }

    @Test
    void aTaskFailureReachesTheCallerAndThePoolGoesOn() {
        try (Parallel pool = new Parallel(2, "test")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forEach(10, i -> {
                if (i == 7) throw new IllegalStateException("task 7");
            }));
            assertEquals("task 7", e.getMessage());
            AtomicIntegerArray seen = new AtomicIntegerArray(4);
            pool.forEach(4, seen::incrementAndGet);
            assertEquals(4, seen.get(0) + seen.get(1) + seen.get(2) + seen.get(3));
        }
    }

    @Test
    void aClosedPoolRefusesWork() {
        Parallel pool = new Parallel(2, "test");
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.forEach(5, i -> { }));
    }
}
