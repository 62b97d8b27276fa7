package dev.mica.http;

import java.util.Arrays;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/** Reads the framework's bundles into {@link BundleReport}s for the status page. */
final class OsgiBundles {
    private OsgiBundles() {}

    static List<BundleReport> of(BundleContext context) {
        return Arrays.stream(context.getBundles())
                .map(b -> new BundleReport(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), state(b.getState()),
                        b.getHeaders().get(Constants.FRAGMENT_HOST) != null))
                .toList();
    }

    static String state(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "installed";
            case Bundle.RESOLVED -> "resolved";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            case Bundle.ACTIVE -> "active";
            case Bundle.UNINSTALLED -> "uninstalled";
            default -> "unknown";
        };
    }
}
