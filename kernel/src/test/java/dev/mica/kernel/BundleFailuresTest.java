package dev.mica.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;

/** Every failed start is logged once, whoever tried it: FileInstall retries and repeats itself. */
class BundleFailuresTest {
    @TempDir Path work;
    private final Logger kernelLog = Logger.getLogger("mica.kernel");
    private final Logger fileInstallLog = Logger.getLogger("fileinstall");
    private final List<LogRecord> kernelRecords = new CopyOnWriteArrayList<>();
    private final List<LogRecord> fileInstallRecords = new CopyOnWriteArrayList<>();
    private final Handler kernelHandler = capture(kernelRecords);
    private final Handler fileInstallHandler = capture(fileInstallRecords);
    private Framework framework;
    private final BundleFailures failures = new BundleFailures();

    private static Handler capture(List<LogRecord> into) {
        return new Handler() {
            @Override
            public void publish(LogRecord r) {
                into.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
    }

    @BeforeEach
    void boot() throws Exception {
        kernelLog.addHandler(kernelHandler);
        fileInstallLog.addHandler(fileInstallHandler);
        framework = new FrameworkFactory().newFramework(Map.of(Constants.FRAMEWORK_STORAGE, work.resolve("felix").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        framework.init();
        failures.open(framework.getBundleContext());
        framework.start();
    }

    @AfterEach
    void stop() throws Exception {
        failures.close();
        framework.stop();
        framework.waitForStop(10_000);
        kernelLog.removeHandler(kernelHandler);
        fileInstallLog.removeHandler(fileInstallHandler);
    }

    private Bundle unresolvable(String name) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", name);
        a.putValue("Import-Package", "no.such.package");
        Path jar = work.resolve(name + ".jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(os, mf)) {
            // a manifest is all it takes to fail resolution
        }
        return framework.getBundleContext().installBundle(jar.toUri().toString());
    }

    /** What FileInstall's DirectoryWatcher.startBundle logs, through JUL, when a start throws. */
    private void fileInstallCouldNotStart(Bundle b) {
        BundleException e = assertThrows(BundleException.class, b::start);
        fileInstallLog.log(Level.WARNING, BundleFailures.FILEINSTALL_START_FAILED + b.getLocation(), e);
    }

    private long kernelRecordsNaming(String name) {
        return kernelRecords.stream().filter(r -> r.getMessage().contains(name)).count();
    }

    @Test
    void fileInstallsRepeatedRecordsBecomeOneKernelRecord() throws Exception {
        Bundle a = unresolvable("broken.a");
        Bundle b = unresolvable("broken.b");
        fileInstallCouldNotStart(a);
        // FileInstall says it all again when the set of failing bundles changes
        fileInstallCouldNotStart(b);
        fileInstallCouldNotStart(a);
        assertEquals(1, kernelRecordsNaming("broken.a"), kernelRecords::toString);
        assertEquals(1, kernelRecordsNaming("broken.b"), kernelRecords::toString);
        assertEquals(java.util.logging.Level.SEVERE, kernelRecords.getFirst().getLevel());
        assertEquals(List.of(), fileInstallRecords, "reported by the kernel, not twice");
        assertEquals(2, failures.list().size(), failures.list()::toString);
        assertTrue(failures.list().getFirst().startsWith("broken.a: "), failures.list()::toString);

        fileInstallLog.warning("Failed to install artifact: x.jar");
        assertEquals(1, fileInstallRecords.size(), "FileInstall's other records are its own");
    }

    @Test
    void aBundleThatGoesIsNoLongerFailedAndAReturnIsNews() throws Exception {
        Bundle a = unresolvable("broken.a");
        fileInstallCouldNotStart(a);
        a.uninstall();
        assertEquals(List.of(), failures.list());
        Bundle again = unresolvable("broken.a");
        fileInstallCouldNotStart(again);
        assertEquals(2, kernelRecordsNaming("broken.a"));
    }

    @Test
    void aRestartTheFrameworkReportsIsAFailureToo() throws Exception {
        Bundle a = unresolvable("broken.a");
        BundleException e = assertThrows(BundleException.class, a::start);
        failures.frameworkEvent(new FrameworkEvent(FrameworkEvent.ERROR, a, e));
        failures.frameworkEvent(new FrameworkEvent(FrameworkEvent.ERROR, a, new IllegalStateException("a listener threw")));
        failures.bundle(a, e);
        assertEquals(1, kernelRecordsNaming("broken.a"));
        assertEquals(1, failures.list().size());
    }
}
