package dev.mica.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mica pull MODEL}: from Ollama's registry, another registry, or {@code hf.co/<org>/<repo>:<quant>}. */
@Command(name = "pull", description = "Pull a model from a registry, or a GGUF from Hugging Face (hf.co/ORG/REPO:QUANT).")
final class PullCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = "--insecure", description = "Use plain HTTP for a registry named in MODEL.")
    boolean insecure;

    PullCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        Models.pull(cli, cli.connect(), model, insecure);
        return 0;
    }
}
