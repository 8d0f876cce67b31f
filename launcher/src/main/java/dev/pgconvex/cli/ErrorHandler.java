package dev.pgconvex.cli;

import dev.pgconvex.common.config.ConfigException;
import picocli.CommandLine;

/**
 * Prints a failed command's reason as one clear message (no stack trace for errors the user can
 * fix) and picks the exit code: 2 for configuration problems, 1 otherwise.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(
      Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
    if (ex instanceof ConfigException) {
      cmd.getErr().println(ex.getMessage());
      return 2;
    }
    if (ex instanceof UserFacingException || isUserFacing(ex)) {
      cmd.getErr().println("error: " + ex.getMessage());
      return 1;
    }
    cmd.getErr().println("error: " + ex);
    ex.printStackTrace(cmd.getErr());
    return 1;
  }

  // Start-up checks of the stages throw their own types; their messages already name the problem
  // and the fix.
  private static boolean isUserFacing(Exception ex) {
    String name = ex.getClass().getSimpleName();
    return name.endsWith("PreflightException")
        || name.equals("CatalogException")
        || name.equals("StackException");
  }
}
