package dev.mica.kernel;

import dev.mica.api.inference.Inference;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The microkernel: an embedded Felix framework that exports mica's contracts and hosts every bundle
 * that does work. Start it from {@code mica serve}, or from your own application:
 *
 * <pre>{@code
 * try (MicaRuntime mica = MicaRuntime.start(MicaConfig.of(home, Map.of("mica.host", "127.0.0.1:0")))) {
 *     Inference inference = mica.inference();
 *     inference.generate(GenerateRequest.of("stories", "Once upon a time"), System.out::println);
 * }
 * }</pre>
 *
 * A bundle that fails to start, at boot or dropped into deploy/ later, is logged once and listed in
 * {@link #failures()} (and {@code /api/mica/status}); it never stops the kernel.
 */
public final class MicaRuntime implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("mica.kernel");

    private final MicaConfig config;
    private final Framework framework;
    private final Path storage;
    private final BundleFailures failures;
    private final long readyNanos;

    private MicaRuntime(MicaConfig config, Framework framework, Path storage, BundleFailures failures, long startNanos) throws BundleException, IOException {
        this.config = config;
        this.framework = framework;
        this.storage = storage;
        this.failures = failures;
        installAll(config.path(MicaConfig.BUNDLES));
        this.readyNanos = System.nanoTime() - startNanos;
    }

    public static MicaRuntime start(MicaConfig config) throws BundleException, IOException {
        long t0 = System.nanoTime();
        Path storage = Files.createTempDirectory("mica-osgi-");
        Map<String, String> props = new HashMap<>(config.asMap());
        props.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, contractExports());
        // Bundles see the JDK's packages (java.lang.foreign, jdk.incubator.vector) through the
        // system bundle; nothing else leaks from the application class path.
        props.put("felix.log.level", "1");
        props.put("felix.service.urlhandlers", "false");
        Path deploy = config.path(MicaConfig.DEPLOY);
        Files.createDirectories(deploy);
        props.put("felix.fileinstall.dir", deploy.toString());
        props.put("felix.fileinstall.poll", config.get(MicaConfig.DEPLOY_POLL_MS, "1000"));
        props.put("felix.fileinstall.noInitialDelay", "true");
        // Warnings too, for "Error while starting bundle", and through JUL rather than stdout, where
        // BundleFailures takes that one off to report it once, as the kernel does its own.
        props.put("felix.fileinstall.log.level", "2");
        props.put("felix.fileinstall.log.default", "jul");
        props.put("felix.fileinstall.bundles.new.start", "true");
        Framework fw = new FrameworkFactory().newFramework(props);
        fw.init();
        BundleFailures failures = new BundleFailures();
        failures.open(fw.getBundleContext());
        fw.start();
        try {
            MicaRuntime runtime = new MicaRuntime(config, fw, storage, failures, t0);
            LOG.log(Level.INFO, "kernel ready in {0} ms, {1} ms after the JVM started ({2} bundles active, {3} failed)",
                    runtime.readyNanos / 1_000_000, java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(),
                    runtime.activeBundles(), failures.list().size());
            return runtime;
        } catch (BundleException | IOException | RuntimeException e) {
            failures.close();
            fw.stop();
            throw e;
        }
    }

    /** Installs every jar in the folder, then starts them, so install order does not matter. */
    private void installAll(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            LOG.log(Level.WARNING, "bundle folder {0} does not exist: the kernel runs empty", dir);
            return;
        }
        List<Path> jars;
        try (Stream<Path> s = Files.list(dir)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted(Comparator.comparing(Path::toString)).toList();
        }
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jars) {
            try {
                installed.add(context().installBundle(jar.toUri().toString()));
            } catch (BundleException e) {
                failures.jar(jar.getFileName().toString(), e);
            }
        }
        for (Bundle b : installed) {
            startQuietly(b);
        }
    }

    private void startQuietly(Bundle b) {
        if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            b.start();
            LOG.log(Level.DEBUG, () -> b.getSymbolicName() + " started in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (BundleException | RuntimeException e) {
            failures.bundle(b, e);
        }
    }

    /** Installs and starts one more bundle, as hot deploy does. */
    public Bundle install(Path jar) throws BundleException {
        Bundle b = context().installBundle(jar.toUri().toString());
        startQuietly(b);
        return b;
    }

    /** The export clause of the contract packages, read from the kernel's own bnd manifest. */
    static String contractExports() throws IOException {
        Manifest mf = kernelManifest();
        String exports = mf == null ? null : mf.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
        if (exports == null || exports.isBlank()) {
            throw new IOException("the kernel's manifest has no Export-Package: build the kernel with bnd");
        }
        return exports;
    }

    private static Manifest kernelManifest() throws IOException {
        Path location;
        try {
            location = Path.of(MicaRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        if (Files.isDirectory(location)) {
            Path mf = location.resolve("META-INF/MANIFEST.MF");
            if (!Files.exists(mf)) return null;
            try (InputStream in = Files.newInputStream(mf)) {
                return new Manifest(in);
            }
        }
        try (JarFile jar = new JarFile(location.toFile())) {
            return jar.getManifest();
        }
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    public Framework framework() {
        return framework;
    }

    public MicaConfig config() {
        return config;
    }

    /** Waits for a service to appear. */
    public <T> T service(Class<T> type, Duration timeout) throws InterruptedException {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context(), type, null);
        tracker.open();
        try {
            T service = tracker.waitForService(timeout.toMillis());
            if (service == null) {
                throw new IllegalStateException("no " + type.getSimpleName() + " service after " + timeout.toSeconds() + " s; failed bundles: " + failures());
            }
            return service;
        } finally {
            tracker.close();
        }
    }

    /** The inference contract, for applications that embed mica. */
    public Inference inference() throws InterruptedException {
        return service(Inference.class, Duration.ofSeconds(30));
    }

    /** The bundles that failed to start, however they came (bundles/, deploy/, a refresh), and have not started since. */
    public List<String> failures() {
        return failures.list();
    }

    public long activeBundles() {
        return Stream.of(context().getBundles()).filter(b -> b.getState() == Bundle.ACTIVE).count();
    }

    /** Time from {@link #start} to all bundles started. */
    public Duration startupTime() {
        return Duration.ofNanos(readyNanos);
    }

    public void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    @Override
    public void close() {
        failures.close();
        try {
            framework.stop();
            framework.waitForStop(TimeUnit.SECONDS.toMillis(30));
        } catch (BundleException | InterruptedException e) {
            LOG.log(Level.WARNING, "framework stop: " + e.getMessage());
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        } finally {
            deleteTree(storage);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
