package dev.pgconvex.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C or SIGTERM for a long-running command: the shutdown hook trips the signal and then waits
 * for the command's thread to leave its loop and close what it owns (the JVM would otherwise halt
 * mid-close).
 */
final class StopSignal {
  private final CountDownLatch stop = new CountDownLatch(1);

  /** Installs the hook for the calling thread, which must poll {@link #await}. */
  static StopSignal install(String name, long graceMillis) {
    StopSignal signal = new StopSignal();
    Thread owner = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  signal.stop.countDown();
                  try {
                    owner.join(graceMillis);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                name));
    return signal;
  }

  /** Waits up to {@code millis}; true once stop was requested. */
  boolean await(long millis) throws InterruptedException {
    return stop.await(millis, TimeUnit.MILLISECONDS);
  }
}
