package dev.pgconvex.stack;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The JVM shutdown hook of an embedded server: stops the server when the JVM exits without its
 * owner having closed it (a test JVM ending, Ctrl-C during start-up).
 *
 * <p>Why the delay: the JVM runs all shutdown hooks at once, so a server's hook would stop the
 * broker under a pipeline that is still closing in order on Ctrl-C (Kafka Streams committing, the
 * source flushing its offsets), turning a clean stop into half a minute of retries and stack
 * traces. With a delay the hook first waits that long for the owner's {@link #ownerClosed()}.
 * Thread-safe.
 */
final class ServerShutdownHook {
  private final Thread thread;
  private final CountDownLatch closed = new CountDownLatch(1);
  private boolean registered;

  /**
   * @param stop stops the server quietly
   * @param delay how long the hook waits for the owner to close the server first (0: not at all)
   */
  ServerShutdownHook(String name, Runnable stop, Duration delay) {
    this.thread =
        new Thread(
            () -> {
              try {
                if (closed.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                  return;
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              stop.run();
            },
            name);
  }

  /** Registers the hook once; later calls do nothing. */
  synchronized void register() {
    if (!registered) {
      Runtime.getRuntime().addShutdownHook(thread);
      registered = true;
    }
  }

  /** The owner closed the server: the hook has nothing left to do. */
  synchronized void ownerClosed() {
    closed.countDown();
    if (registered) {
      try {
        Runtime.getRuntime().removeShutdownHook(thread);
      } catch (IllegalStateException ignored) {
        // JVM shutting down: the hook is running (and returns at once) or ran.
      }
      registered = false;
    }
  }
}
