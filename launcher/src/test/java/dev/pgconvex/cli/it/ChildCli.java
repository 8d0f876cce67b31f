package dev.pgconvex.cli.it;

import static org.awaitility.Awaitility.await;

import dev.pgconvex.cli.Cdc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./cdc ARGS} in a JVM of its own, as a user runs it: standard output and error go to files,
 * and it can be stopped with SIGTERM (Ctrl-C) or killed with SIGKILL. Not thread-safe.
 */
final class ChildCli implements AutoCloseable {
  private final Process process;
  private final Path out;
  private final Path err;

  private ChildCli(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /**
   * A JVM started where SIGINT is ignored (a build run in the background, under nohup) inherits
   * that and never sees the Ctrl-C the tests send: GNU env resets it (and execs, so the pid stays
   * the JVM's). Empty where env cannot.
   */
  private static final List<String> DEFAULT_SIGNALS = defaultSignals();

  private static List<String> defaultSignals() {
    List<String> prefix = List.of("env", "--default-signal=INT,TERM");
    try {
      List<String> probe = new ArrayList<>(prefix);
      probe.add("true");
      Process p = new ProcessBuilder(probe).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? prefix : List.of();
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  static ChildCli start(List<String> args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path out = Files.createTempFile("cdc-child", ".out");
    Path err = Files.createTempFile("cdc-child", ".err");
    List<String> cmd = new ArrayList<>(DEFAULT_SIGNALS);
    cmd.add(java);
    cmd.add("-Xmx1g");
    cmd.add("-Dpgconvex.home=" + Path.of("..").toAbsolutePath().normalize());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Cdc.class.getName());
    cmd.addAll(args);
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    return new ChildCli(p, out, err);
  }

  /** Waits until standard error holds {@code text}; fails early when the process exits. */
  ChildCli awaitErr(String text, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (!process.isAlive() && !err().contains(text)) {
                throw new IllegalStateException(
                    "cdc exited (" + process.exitValue() + ") before '" + text + "': " + err());
              }
              return err().contains(text);
            });
    return this;
  }

  /** Waits for the exit; the exit code, or throws when it runs past {@code timeout}. */
  int awaitExit(Duration timeout) throws InterruptedException, IOException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("cdc still running after " + timeout + ": " + err());
    }
    return process.exitValue();
  }

  /** SIGINT, what Ctrl-C on a terminal sends. */
  void interrupt() throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -INT " + process.pid() + " failed");
    }
  }

  /** SIGTERM, as Ctrl-C or a container stop sends. */
  void terminate() {
    process.destroy();
  }

  /** SIGKILL: a crash. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  String out() throws IOException {
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  String err() throws IOException {
    return Files.readString(err, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
