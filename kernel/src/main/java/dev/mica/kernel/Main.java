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
        MicaConfig config = MicaConfig.load(home, configFile);
        String taken = addressInUse(config.get(MicaConfig.HOST));
        if (taken != null) {
            // A second server would boot without its front end and sit there; say why and stop, as ollama serve does.
            System.err.println("Error: listen tcp " + taken + ": bind: address already in use (is another mica or ollama serving there? set MICA_HOST)");
            System.exit(1);
        }
        MicaRuntime runtime = MicaRuntime.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.getLogger("mica.kernel").log(Level.INFO, "shutting down");
            runtime.close();
            stopped.countDown();
        }, "mica-shutdown"));
        runtime.awaitStop();
        stopped.await();
    }

    /** {@code host:port} when something already listens there; null when it is free, port 0, or not parsable (the front end reports those). */
    static String addressInUse(String hostPort) {
        if (hostPort == null) return null;
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? "127.0.0.1" : hostPort.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(colon < 0 ? hostPort.trim() : hostPort.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
            return null;
        }
        if (port <= 0 || port > 65535) return null;
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) host = "0.0.0.0";
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(host, port));
            return null;
        } catch (java.net.BindException e) {
            return host + ":" + port;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
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
