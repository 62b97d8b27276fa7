package dev.mica.mlx;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Apple GPU route. Written for macOS; never executed on the Linux machines this bundle was
 * built on (see README.md): MLX picks its Metal kernels itself, so what is Java here is choosing
 * the GPU, telling whether the M5's neural accelerators ("NAX") can be in use, and saying so.
 */
final class Metal {
    private static final Pattern GENERATION = Pattern.compile("applegpu_g(\\d+)");

    private Metal() {}

    /** The GPU generation from {@code mlx_device_info}'s "architecture" ("applegpu_g17s" → 17), or -1. */
    static int generation(String architecture) {
        if (architecture == null) return -1;
        Matcher m = GENERATION.matcher(architecture);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * Whether MLX can run its NAX kernels (Metal 4 tensor ops for GEMM, quantized GEMM and prefill
     * attention): a GPU of generation 17 or later on macOS 26.2 or later. MLX must also have been
     * built with a macOS 26.2+ SDK, which no C call tells, so this is "can", not "does".
     */
    static boolean naxPossible(String architecture, String osName, String osVersion) {
        if (osName == null || !osName.toLowerCase(Locale.ROOT).contains("mac")) return false;
        return generation(architecture) >= 17 && atLeast(osVersion, 26, 2);
    }

    static boolean atLeast(String version, int major, int minor) {
        if (version == null) return false;
        String[] p = version.split("\\.");
        try {
            int a = Integer.parseInt(p[0]), b = p.length > 1 ? Integer.parseInt(p[1]) : 0;
            return a > major || (a == major && b >= minor);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String describe(Map<String, String> info) {
        return describe(info, System.getProperty("os.name"), System.getProperty("os.version"));
    }

    static String describe(Map<String, String> info, String osName, String osVersion) {
        String arch = info.get("architecture");
        boolean nax = naxPossible(arch, osName, osVersion);
        return "Metal GPU " + info.getOrDefault("device_name", "?") + " (" + (arch == null ? "architecture unknown" : arch)
                + (nax ? ", neural accelerators (NAX) possible" : ", no NAX") + ")";
    }
}
