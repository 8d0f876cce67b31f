package dev.pgconvex.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C or SIGTERM for a long-running command: the shutdown hook trips the signal, then waits
 * until the command has closed what it owns ({@link #close()}), at most the grace period; the JVM
 * would otherwise halt mid-close.
 *
 * <p>Why a latch and not a join of the command's thread: after closing, that thread calls {@code
 * System.exit}, which blocks while shutdown hooks run, so a join would always sit out the whole
 * grace period. Use it in try-with-resources around everything the command closes.
 */
final class StopSignal implements AutoCloseable {
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  /** Installs the hook; the command must poll {@link #await} and close the signal last. */
  static StopSignal install(String name, long graceMillis) {
    StopSignal signal = new StopSignal();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  signal.stop.countDown();
                  try {
                    signal.closed.await(graceMillis, TimeUnit.MILLISECONDS);
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

  /** Everything the command owns is closed: a waiting shutdown may finish. */
  @Override
  public void close() {
    closed.countDown();
  }
}
