package dev.pgconvex.cli.it;

import dev.pgconvex.cli.demo.DemoDatabase;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes to the demo tables on a thread of its own until closed; close rethrows what the writer
 * hit.
 */
final class BackgroundLoad implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ExecutorService pool = Executors.newSingleThreadExecutor();
  private final Future<?> task;

  /**
   * Each step: the demo's light write load (insert, edit, delete) plus {@code rowsPerStep} new
   * rows.
   */
  BackgroundLoad(DemoDatabase live, int rowsPerStep) {
    this(live, rowsPerStep, java.time.Duration.ZERO);
  }

  /**
   * As {@link #BackgroundLoad(DemoDatabase, int)}, one step per {@code every} at most: a steady
   * load of a known rate rather than as fast as Postgres commits.
   */
  BackgroundLoad(DemoDatabase live, int rowsPerStep, java.time.Duration every) {
    task =
        pool.submit(
            () -> {
              long next = System.nanoTime();
              while (running.get()) {
                live.writeSome();
                if (rowsPerStep > 0) {
                  live.load(rowsPerStep);
                }
                next += every.toNanos();
                long wait = next - System.nanoTime();
                if (wait > 0) {
                  java.util.concurrent.locks.LockSupport.parkNanos(wait); // the load's pace
                }
              }
              return null;
            });
  }

  /**
   * Lets the load go on for {@code d} before the caller acts (kills a stage, stops the load): a
   * stretch of writes, not a wait for a condition.
   */
  static void letRun(java.time.Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  @Override
  public void close() throws Exception {
    running.set(false);
    try {
      task.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }
}
