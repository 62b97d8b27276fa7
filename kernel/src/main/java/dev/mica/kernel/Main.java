package dev.mica.kernel;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code mica serve}: boots the kernel from the distribution folder ({@code mica.home}) and runs
 * until SIGINT/SIGTERM, then stops every bundle cleanly.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        configureLogging();
        Path home = Path.of(System.getProperty("mica.home", "."));
        Path configFile = home.resolve("conf/mica.properties");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = Path.of(args[++i]);
            }
        }
        MicaRuntime runtime = MicaRuntime.start(MicaConfig.load(home, configFile));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.getLogger("mica.kernel").log(Level.INFO, "shutting down");
            runtime.close();
            stopped.countDown();
        }, "mica-shutdown"));
        runtime.awaitStop();
        stopped.await();
    }

    /** One line per record, on stderr: what a daemon's log wants. */
    public static void configureLogging() {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = formatMessage(r);
                StringBuilder sb = new StringBuilder(96 + msg.length());
                sb.append(r.getInstant().toString(), 0, 19).append('Z').append(' ')
                        .append(r.getLevel().getName()).append(' ')
                        .append(r.getLoggerName()).append(": ").append(msg).append('\n');
                if (r.getThrown() != null) {
                    var sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    sb.append(sw);
                }
                return sb.toString();
            }
        });
        root.addHandler(handler);
    }
}
