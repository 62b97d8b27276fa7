package dev.mica.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code mica} command. {@code serve} boots the kernel in this JVM; every other verb is a
 * client of a server's HTTP API, as Ollama's CLI is, and starts a server in the background when
 * none runs. Errors print as {@code Error: ...} on stderr; exit codes are 0 (done), 1 (failed),
 * 2 (wrong usage), 127 (a program launch needs is missing), or what a launched program returned.
 */
@Command(name = "mica", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "A local LLM runtime. Models in Ollama's layout; Ollama's and OpenAI's APIs.%n",
        footer = {"", "The server listens on MICA_HOST (default 127.0.0.1:11434); client commands start it when it is not running."},
        commandListHeading = "%nCommands:%n", synopsisSubcommandLabel = "COMMAND")
public final class Mica implements Callable<Integer> {
    private final Cli cli;

    Mica(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(cli.out());
        return 0;
    }

    public static void main(String[] args) throws Exception {
        if (ServeCommand.direct(args)) {
            // The server's JVM skips the command line parser: a faster start, and no parser
            // classes in the class-data archive bin/mica keeps for `serve`. It returns once the
            // kernel stopped on a signal, inside the JVM's shutdown, where exiting would block.
            dev.mica.kernel.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(commandLine(Cli.system()).execute(args));
    }

    /** The command line with every verb, reporting through {@code cli}'s streams. */
    static CommandLine commandLine(Cli cli) {
        CommandLine cl = new CommandLine(new Mica(cli));
        cl.addSubcommand("serve", new ServeCommand());
        cl.addSubcommand("run", new RunCommand(cli));
        cl.addSubcommand("pull", new PullCommand(cli));
        cl.addSubcommand("list", new ListCommand(cli));
        cl.addSubcommand("ps", new PsCommand(cli));
        cl.addSubcommand("show", new ShowCommand(cli));
        cl.addSubcommand("rm", new RmCommand(cli));
        cl.addSubcommand("cp", new CpCommand(cli));
        cl.addSubcommand("create", new CreateCommand(cli));
        cl.addSubcommand("stop", new StopCommand(cli));
        cl.addSubcommand("bench", new BenchCommand(cli));
        cl.addSubcommand("launch", new LaunchCommand(cli));
        cl.addSubcommand("cache", new CacheCommand(cli));
        cl.addSubcommand("version", new VersionCommand(cli));
        cl.addSubcommand("help", new CommandLine.HelpCommand());
        cl.setOut(new PrintWriter(cli.out(), true));
        cl.setErr(new PrintWriter(cli.err(), true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("Error: " + e.getMessage());
            c.getErr().println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
            return CliException.USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> report(cli, e));
        return cl;
    }

    /** The one place failures become messages and exit codes. */
    static int report(Cli cli, Exception e) {
        switch (e) {
            case CliException c -> {
                cli.err().println("Error: " + c.getMessage());
                return c.exitCode();
            }
            case ConnectException c -> {
                cli.err().println("Error: could not connect to the mica server at " + cli.server() + ": start one with `mica serve`");
                return CliException.FAILURE;
            }
            case IOException io -> {
                cli.err().println("Error: " + (io.getMessage() == null ? io.toString() : io.getMessage()));
                return CliException.FAILURE;
            }
            default -> {
                cli.err().println("Error: " + e);
                if (cli.env().containsKey("MICA_DEBUG")) e.printStackTrace(cli.err());
                return CliException.FAILURE;
            }
        }
    }
}
