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
    } else {
      cmd.getErr().println("error: " + oneLine(ex));
      if (!Cdc.verbose) {
        cmd.getErr().println("(run again with --verbose for the stack trace)");
      }
    }
    if (Cdc.verbose) {
      ex.printStackTrace(cmd.getErr());
    }
    return 1;
  }

  /**
   * One line naming what failed: a database error says it is the database's (its message names
   * host, port or the SQL state), anything else gives its innermost message.
   */
  static String oneLine(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql) {
        return "Postgres: "
            + sql.getMessage()
            + (sql.getSQLState() == null ? "" : " (SQLState " + sql.getSQLState() + ")");
      }
    }
    Throwable root = ex;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m;
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
