package dev.pgconvex.cli.soak;

import dev.pgconvex.cli.Cdc;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One instance of a stage as its own process, as deployed: {@code cdc source|transformer|sink
 * --config FILE} in a JVM of its own (this JVM's class path), its output appended to a log file in
 * the work dir. The config file holds secrets and is readable by the owner only. Not thread-safe.
 */
final class StageProcess {
  private final String stage;
  private final List<String> jvmOptions;
  private final String name;
  private final Path config;
  private final Path log;
  private Process process;
  private boolean killed;

  /**
   * @param stage {@code source}, {@code transformer} or {@code sink}
   * @param name the instance's name (its instance id and log file), {@code transformer-1}
   */
  StageProcess(
      String stage, String name, Map<String, String> properties, Path dir, List<String> jvmOptions)
      throws IOException {
    this.jvmOptions = List.copyOf(jvmOptions);
    this.stage = stage;
    this.name = name;
    Files.createDirectories(dir);
    this.config = dir.resolve(name + ".properties");
    this.log = dir.resolve(name + ".log");
    Files.deleteIfExists(config);
    Files.createFile(
        config, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Properties p = new Properties();
    p.putAll(properties);
    try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      p.store(w, "soak " + name + " (holds secrets)");
    }
  }

  String stage() {
    return stage;
  }

  String name() {
    return name;
  }

  void start() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(jvmOptions);
    String home = System.getProperty("pgconvex.home");
    if (home != null) {
      cmd.add("-Dpgconvex.home=" + home);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Cdc.class.getName());
    cmd.add(stage);
    cmd.add("--config");
    cmd.add(config.toString());
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    killed = false;
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    killed = true;
    if (process != null) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      if (process.isAlive()) {
        throw new IllegalStateException(name + " survived SIGKILL");
      }
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /**
   * Why the process ended by itself (not by {@link #kill()}): its exit code and the last error line
   * of its log; null while it runs or when it was killed.
   */
  String exitedBecause() {
    if (process == null || process.isAlive() || killed) {
      return null;
    }
    return name + " exited by itself (code " + process.exitValue() + "): " + lastErrorLine();
  }

  private String lastErrorLine() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String l = lines.get(i);
        if (l.contains("ERROR") || l.startsWith("error:")) {
          return l.strip();
        }
      }
      return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).strip();
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /**
   * The URL of the running process's /metrics, /health and /status endpoint, from the line the
   * stage prints once it runs; null before that line.
   */
  String endpoint() {
    String marker = "/metrics, /health and /status at ";
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        int at = lines.get(i).indexOf(marker);
        if (at >= 0) {
          return lines.get(i).substring(at + marker.length()).strip();
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  /** SIGTERM, then SIGKILL after 20 s. */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      killed = true;
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
