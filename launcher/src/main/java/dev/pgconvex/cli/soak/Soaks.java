package dev.pgconvex.cli.soak;

import dev.pgconvex.soak.SoakReport;
import java.io.PrintStream;

/** The entry of {@code ./cdc soak}: runs a {@link SoakRun} and always stops what it started. */
public final class Soaks {
  private Soaks() {}

  /**
   * Runs the soak of {@code settings}; progress lines go to {@code progress}.
   *
   * @param reproduce the command line that runs the same plan again, for a failed report
   */
  public static SoakReport run(SoakSettings settings, PrintStream progress, String reproduce)
      throws Exception {
    SoakRun run = new SoakRun(settings, progress);
    // Ctrl-C: the stage processes and the emulator must not outlive the command.
    Thread hook = new Thread(run::close, "pgconvex-soak-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return run.run(reproduce);
    } finally {
      run.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down already: the hook runs close() again, which is harmless
      }
    }
  }
}
