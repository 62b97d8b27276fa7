package dev.mica.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mica serve}: boots the kernel in this JVM and runs until SIGINT or SIGTERM. {@code main}
 * hands a plain {@code serve [--config FILE]} to the kernel directly (see {@link #direct}); this
 * command answers {@code serve --help} and reports bad arguments.
 */
@Command(name = "serve", description = "Start the server (MICA_HOST sets where it listens).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "A properties file instead of conf/mica.properties.")
    String config;

    /** Whether the arguments are a well-formed {@code serve} the kernel can take as they are. */
    static boolean direct(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) return false;
        return args.length == 1 || args.length == 3 && args[1].equals("--config");
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>();
        if (config != null) {
            args.add("--config");
            args.add(config);
        }
        dev.mica.kernel.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
