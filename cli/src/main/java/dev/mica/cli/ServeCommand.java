package dev.mica.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mica serve}: boots the kernel in this JVM and runs until SIGINT or SIGTERM. */
@Command(name = "serve", description = "Start the server (MICA_HOST sets where it listens).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "A properties file instead of conf/mica.properties.")
    String config;

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
