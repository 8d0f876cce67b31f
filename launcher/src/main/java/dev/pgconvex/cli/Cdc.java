package dev.pgconvex.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./cdc} command line: one entry point for the demo, the main job, the services and the
 * tools.
 */
@Command(
    name = "cdc",
    mixinStandardHelpOptions = true,
    versionProvider = Cdc.Version.class,
    description =
        "Mirror a live Postgres database into Convex through Kafka (change data capture).",
    subcommands = {
      DemoCommand.class,
      RunCommand.class,
      BenchCommand.class,
      ConvexEmulatorCommand.class,
      SchemaCommand.class,
      ResyncCommand.class,
      ResetCommand.class,
      StatusCommand.class,
      DashboardCommand.class,
      PendingCommand.class,
      VerifyCommand.class,
      ReplayCommand.class,
      DlqCommand.class,
      CutoverCommand.class,
      SoakCommand.class,
      ServiceCommands.Source.class,
      ServiceCommands.TransformerCmd.class,
      ServiceCommands.Sink.class,
      ConfigDocCommand.class,
      AlertRulesCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Cdc implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Every command takes it: errors then carry their stack trace. */
  @CommandLine.Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "On an error, print its stack trace too.")
  static boolean verbose;

  public static void main(String[] args) {
    LogFile.configure(args);
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code (tests call this instead of {@link #main}). */
  public static int execute(String... args) {
    verbose = false;
    CommandLine cmd = new CommandLine(new Cdc());
    cmd.setExecutionExceptionHandler(new ErrorHandler());
    return cmd.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Reads the version from the jar manifest, if any. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Cdc.class.getPackage().getImplementationVersion();
      return new String[] {"pgconvex " + (v == null ? "development build" : v)};
    }
  }
}
