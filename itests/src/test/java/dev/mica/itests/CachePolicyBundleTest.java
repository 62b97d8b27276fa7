package dev.mica.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mica.api.cache.EvictionPolicy;
import dev.mica.kernel.MicaRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Eviction policies are services found by name; a third-party one is a jar dropped into deploy/. */
class CachePolicyBundleTest {
    static final Path LFU = Path.of(System.getProperty("mica.it.lfu", "target/fixtures/mica-cache-policy-lfu.jar"));
    @TempDir Path work;

    @Test
    void shippedPoliciesAreRegisteredAndAThirdPartyOneHotDeploys() throws Exception {
        try (MicaRuntime kernel = Kernels.boot(work, Map.of())) {
            HotSwapTest.waitFor(() -> policies(kernel).containsAll(Set.of("lru", "lru-branch", "gdsf")), "shipped policies");
            Files.copy(LFU, work.resolve("deploy").resolve(LFU.getFileName()));
            HotSwapTest.waitFor(() -> policies(kernel).contains("lfu-aging"), "the dropped-in policy registers");
            var ref = kernel.context().getServiceReferences(EvictionPolicy.class, "(" + EvictionPolicy.NAME_PROPERTY + "=lfu-aging)").iterator().next();
            EvictionPolicy lfu = kernel.context().getService(ref);
            assertEquals("lfu-aging", lfu.name());
            assertTrue(lfu.newRanking() != null);
            kernel.context().ungetService(ref);
            Files.delete(work.resolve("deploy").resolve(LFU.getFileName()));
            HotSwapTest.waitFor(() -> !policies(kernel).contains("lfu-aging"), "removing the jar unregisters it");
        }
    }

    private static Set<String> policies(MicaRuntime kernel) {
        Set<String> names = new TreeSet<>();
        try {
            for (var r : kernel.context().getServiceReferences(EvictionPolicy.class, null)) {
                names.add(String.valueOf(r.getProperty(EvictionPolicy.NAME_PROPERTY)));
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }
}
