package dev.mica.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client verb with no server running starts {@code bin/mica serve} in the background and waits for it. */
class AutostartTest {
    @TempDir Path dir;
    private Path pidFile;

    @AfterEach
    void stopStandIn() throws Exception {
        if (pidFile != null && Files.exists(pidFile)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(p -> {
                p.destroy();
                p.onExit().join();
            });
        }
    }

    private CliRun withLauncher(String script) throws Exception {
        Path home = dir.resolve("mica-home");
        Path launcher = Files.createDirectories(home.resolve("bin")).resolve("mica");
        Files.writeString(launcher, script);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        CliRun cli = new CliRun("127.0.0.1:" + CommandsTest.freePort(), dir.resolve("user"));
        cli.env.remove("MICA_NOAUTOSTART");
        cli.home = home;
        cli.startTimeout = Duration.ofSeconds(30);
        pidFile = dir.resolve("server.pid");
        cli.env.put("MICA_TEST_PIDFILE", pidFile.toString());
        return cli;
    }

    @Test
    void aClientVerbStartsAServerAndWaitsUntilItAnswers() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("mica.test.classpath");
        CliRun cli = withLauncher("#!/bin/sh\necho \"launched with: $*\"\nexec '" + java + "' -cp '" + classpath + "' dev.mica.cli.StandInServer\n");

        CliRun.Result r = cli.run("list");

        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("started:latest"), r.out());
        Path log = dir.resolve("user/.mica/logs/server.log");
        assertTrue(r.err().startsWith("starting a mica server at " + cli.cli(null, null).server() + " (log: " + log + ")"), r.err());
        String logged = Files.readString(log);
        assertTrue(logged.contains("launched with: serve"), logged);
        assertTrue(logged.contains("stand-in server listening on"), logged);

        CliRun.Result again = cli.run("list");
        assertEquals("", again.err(), "a running server is used, not started again");
    }

    @Test
    void aServerThatStopsAtOnceIsReportedWithItsLog() throws Exception {
        CliRun cli = withLauncher("#!/bin/sh\necho 'cannot bind'\nexit 4\n");
        CliRun.Result r = cli.run("pull", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("Error: the mica server stopped right after it started (exit code 4): see " + dir.resolve("user/.mica/logs/server.log")), r.err());
    }

    @Test
    void withoutALauncherTheUserIsToldToStartOne() throws Exception {
        CliRun cli = new CliRun("127.0.0.1:" + CommandsTest.freePort(), dir);
        cli.env.remove("MICA_NOAUTOSTART");
        CliRun.Result r = cli.run("list");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("cannot start one here (no bin/mica in mica.home): start one with `mica serve`"), r.err());
    }
}
