package dev.pgconvex.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the CLI's log lines go. {@code ./cdc demo} without {@code --verbose} writes them to a file
 * beside its work dir (the screen shows its status block, and the path), every other command to
 * standard error. Decided before the first logger exists, because slf4j-simple reads its target
 * once.
 */
final class LogFile {
  private static final String PROPERTY = "org.slf4j.simpleLogger.logFile";
  private static volatile Path current;

  private LogFile() {}

  /** Sends the log to a file when {@code args} run the demo without {@code --verbose}. */
  static void configure(String... args) {
    List<String> a = List.of(args);
    if (a.isEmpty()
        || !a.get(0).equals("demo")
        || a.contains("--verbose")
        || a.contains("--help")) {
      return;
    }
    Path workDir = Path.of(".cdc", "demo");
    int i = a.indexOf("--work-dir");
    if (i >= 0 && i + 1 < a.size()) {
      workDir = Path.of(a.get(i + 1));
    }
    for (String s : a) {
      if (s.startsWith("--work-dir=")) {
        workDir = Path.of(s.substring("--work-dir=".length()));
      }
    }
    // Beside the work dir, which the demo wipes at start.
    Path abs = workDir.toAbsolutePath().normalize();
    Path file = abs.resolveSibling(abs.getFileName() + ".log");
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
    } catch (IOException e) {
      return; // cannot write there: the log stays on standard error
    }
    System.setProperty(PROPERTY, file.toString());
    current = file;
  }

  /** The log file in use, or null when the log goes to standard error. */
  static Path current() {
    return current;
  }
}
