package dev.mica.kernel;

import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code mica serve}: boots the kernel from the distribution folder ({@code mica.home}) and runs
 * until SIGINT/SIGTERM, then stops every bundle cleanly and exits 0, as {@code ollama serve} does:
 * a stop that was asked for is no failure to systemd or a script (the JVM's own 130/143 would be).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        // Only takes while nothing has logged yet; bin/mica sets it on the command line to be sure.
        if (System.getProperty(LOG_MANAGER) == null) System.setProperty(LOG_MANAGER, MicaLogManager.class.getName());
        configureLogging();
        exitZeroOn("TERM", "INT");
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
        Runtime.getRuntime().addShutdownHook(MicaLogManager.shutdownHook("mica-shutdown", () -> {
            System.getLogger("mica.kernel").log(Level.INFO, "shutting down");
            runtime.close();
            stopped.countDown();
        }));
        runtime.awaitStop();
        stopped.await();
    }

    static final String LOG_MANAGER = "java.util.logging.manager";

    /**
     * The JVM's own handlers exit with 128 + the signal after the shutdown hooks; these exit 0 after
     * the same hooks. A second signal while they run waits, as before: the hooks still finish.
     * sun.misc.Signal is the only way to keep the hooks and choose the status; it is reached by
     * reflection because naming it warns on every build.
     */
    static void exitZeroOn(String... signals) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object exitZero = Proxy.newProxyInstance(Main.class.getClassLoader(), new Class<?>[] {handlerType}, (proxy, method, args) ->
                    switch (method.getName()) {
                        case "handle" -> {
                            System.exit(0);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "exit 0";
                    });
            Method handle = signal.getMethod("handle", signal, handlerType);
            for (String name : signals) {
                try {
                    handle.invoke(null, signal.getConstructor(String.class).newInstance(name), exitZero);
                } catch (InvocationTargetException e) {
                    // no such signal here, or one the JVM keeps (-Xrs): its default stays
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a JVM without sun.misc.Signal: its own handlers stay, with their 128 + signal
        }
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
