package dev.pgconvex.cutover;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Runs the operator's hook commands ({@code --on-frozen}, {@code --on-switched}). */
public interface Hooks {
  /**
   * Runs {@code command}; returns when it exited 0.
   *
   * @param env variables given to it ({@code PGCONVEX_CUTOVER_ID}, ...)
   * @throws CutoverException when it exits non-zero, runs past {@code timeout} (then it is killed)
   *     or {@code cancelled} turns true
   */
  void run(
      String name,
      String command,
      Map<String, String> env,
      Duration timeout,
      BooleanSupplier cancelled)
      throws CutoverException, InterruptedException;
}
