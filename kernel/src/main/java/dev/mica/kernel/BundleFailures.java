package dev.mica.kernel;

import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.SynchronousBundleListener;

/**
 * The bundles of one kernel that failed to start and have not started since, each logged once.
 * Three starters can fail: the kernel's boot (and {@link MicaRuntime#install}), FileInstall for
 * jars in deploy/, and the framework restarting a bundle after an update or refresh. The kernel
 * reports its own; the framework's come as {@link FrameworkEvent#ERROR}; FileInstall's only as a
 * log record, and it retries a failing bundle on every poll and repeats its record whenever the set
 * of failing bundles changes, so its records are taken off its logger here and reported once.
 */
final class BundleFailures implements SynchronousBundleListener, FrameworkListener {
    private static final System.Logger LOG = System.getLogger("mica.kernel");
    /** FileInstall 3.7's record for a failed start (with {@code felix.fileinstall.log.default=jul}), then the bundle's location. */
    static final String FILEINSTALL_START_FAILED = "Error while starting bundle: ";
    /** Held, so the filter set on it is not collected with a logger nobody references. */
    private static final Logger FILEINSTALL = Logger.getLogger("fileinstall");
    private static final Set<BundleFailures> OPEN = ConcurrentHashMap.newKeySet();

    static {
        FILEINSTALL.setFilter(BundleFailures::fromFileInstall);
    }

    /** Keyed by bundle id, or by the jar's name when it never became a bundle. */
    private final Map<Object, String> failures = new LinkedHashMap<>();
    private volatile BundleContext context;

    void open(BundleContext context) {
        this.context = context;
        context.addBundleListener(this);
        context.addFrameworkListener(this);
        OPEN.add(this);
    }

    void close() {
        OPEN.remove(this);
    }

    /** A jar that could not even be installed. */
    void jar(String name, BundleException e) {
        report(name, name, e);
    }

    void bundle(Bundle b, Exception e) {
        report(b.getBundleId(), b.getSymbolicName() != null ? b.getSymbolicName() : b.getLocation(), e);
    }

    private void report(Object key, String what, Exception e) {
        Throwable cause = e.getCause();
        String message = what + ": " + e.getMessage() + (cause == null ? "" : " (" + cause + ")");
        synchronized (failures) {
            if (failures.putIfAbsent(key, message) != null) return;
        }
        // A missing import says all there is to say; a throwing activator needs its stack.
        boolean resolution = e instanceof BundleException be && be.getType() == BundleException.RESOLVE_ERROR;
        if (resolution) {
            LOG.log(Level.ERROR, "bundle failed to start, the kernel carries on: " + message);
        } else {
            LOG.log(Level.ERROR, "bundle failed to start, the kernel carries on: " + message, e);
        }
    }

    List<String> list() {
        synchronized (failures) {
            return List.copyOf(failures.values());
        }
    }

    /** A bundle that starts, changes or goes is no longer failed; should its new jar fail, that is news. */
    @Override
    public void bundleChanged(BundleEvent event) {
        switch (event.getType()) {
            case BundleEvent.STARTED, BundleEvent.UPDATED, BundleEvent.UNINSTALLED -> {
                synchronized (failures) {
                    failures.remove(event.getBundle().getBundleId());
                }
            }
            default -> { }
        }
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        Bundle b = event.getBundle();
        // Other errors (a listener or service factory that threw) are no failed start.
        if (event.getType() == FrameworkEvent.ERROR && b != null && b.getBundleId() != 0
                && event.getThrowable() instanceof BundleException e && b.getState() != Bundle.ACTIVE) {
            bundle(b, e);
        }
    }

    /** The logger filter: false for a failed start it reported, which would otherwise be logged twice or more. */
    static boolean fromFileInstall(LogRecord r) {
        String message = r.getMessage();
        if (!(r.getThrown() instanceof BundleException e) || message == null || !message.startsWith(FILEINSTALL_START_FAILED)) return true;
        String location = message.substring(FILEINSTALL_START_FAILED.length());
        for (BundleFailures f : OPEN) {
            Bundle b;
            try {
                BundleContext c = f.context;
                b = c == null ? null : c.getBundle(location);
            } catch (IllegalStateException stopped) {
                continue;
            }
            if (b != null) {
                f.bundle(b, e);
                return false;
            }
        }
        return true;
    }
}
