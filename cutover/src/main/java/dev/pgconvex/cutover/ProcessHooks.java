package dev.pgconvex.cutover;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs a hook as a child process, {@code /bin/sh -c COMMAND} (on Windows {@code cmd /c}), with the
 * cutover's variables in its environment and its output (standard output and error) copied to
 * {@code output} (the command's standard error, so {@code --json} output stays one object). A hook
 * that runs past its timeout or is cancelled is killed with its children.
 */
public final class ProcessHooks implements Hooks {
  private final OutputStream output;

  public ProcessHooks(OutputStream output) {
    this.output = output;
  }

  @Override
  public void run(
      String name,
      String command,
      Map<String, String> env,
      Duration timeout,
      BooleanSupplier cancelled)
      throws CutoverException, InterruptedException {
    boolean windows = System.getProperty("os.name", "").toLowerCase().startsWith("windows");
    ProcessBuilder pb =
        new ProcessBuilder(
                windows ? List.of("cmd", "/c", command) : List.of("/bin/sh", "-c", command))
            .redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new CutoverException("--" + name + " could not start: " + e.getMessage(), e);
    }
    Thread pump = new Thread(() -> copy(p.getInputStream()), "pgconvex-hook-" + name);
    pump.setDaemon(true);
    pump.start();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
        if (cancelled.getAsBoolean()) {
          kill(p);
          throw new CutoverException("--" + name + " was stopped: the cutover was interrupted");
        }
        if (System.nanoTime() >= deadline) {
          kill(p);
          throw new CutoverException(
              "--" + name + " timed out after " + timeout.toMillis() + " ms and was killed");
        }
      }
    } catch (InterruptedException e) {
      kill(p);
      throw e;
    }
    pump.join(1000);
    if (p.exitValue() != 0) {
      throw new CutoverException("--" + name + " exited " + p.exitValue());
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void copy(InputStream in) {
    byte[] buf = new byte[4096];
    try (in) {
      int n;
      while ((n = in.read(buf)) > 0) {
        synchronized (output) {
          output.write(buf, 0, n);
          output.flush();
        }
      }
    } catch (IOException ignored) {
      // the hook's output is informational
    }
  }
}
