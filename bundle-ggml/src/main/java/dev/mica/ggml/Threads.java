package dev.mica.ggml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How many compute threads to give llama.cpp when nobody says. Its CPU kernels are bound by memory
 * bandwidth and SIMD units, so one thread per physical core is the sweet spot (llama-bench's rule);
 * hyper-threads only add contention. Java reports logical processors, so physical cores are read
 * from /proc/cpuinfo where there is one, and capped by what the JVM may use (cgroup limits).
 */
final class Threads {
    private static final int DEFAULT = compute();

    private Threads() {}

    static int defaultCount() {
        return DEFAULT;
    }

    private static int compute() {
        int available = Math.max(1, Runtime.getRuntime().availableProcessors());
        int physical = physicalCores();
        return physical > 0 ? Math.min(physical, available) : available;
    }

    /** Distinct (physical id, core id) pairs in /proc/cpuinfo; 0 where that cannot be read. */
    private static int physicalCores() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return 0;
        }
        try {
            List<String> lines = Files.readAllLines(cpuinfo);
            Set<String> cores = new HashSet<>();
            String physicalId = "0";
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("physical id")) {
                    physicalId = value;
                } else if (key.equals("core id")) {
                    cores.add(physicalId + "/" + value);
                }
            }
            return cores.size();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
