package dev.pgconvex.sink.batch;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with full jitter: attempt {@code n} (0-based) waits a uniformly random
 * time in {@code [0, min(max, initial * 2^n)]}, which spreads the retries of concurrent senders.
 * Immutable; thread-safe.
 *
 * @param initialMs cap of the first wait
 * @param maxMs cap of every wait
 */
public record Backoff(long initialMs, long maxMs) {
  public Backoff {
    if (initialMs < 1 || maxMs < initialMs) {
      throw new IllegalArgumentException("need 1 <= initialMs <= maxMs");
    }
  }

  /** The cap for attempt {@code n}: {@code min(max, initial * 2^n)}. */
  public long capMs(int attempt) {
    int shift = Math.min(attempt, 40);
    long cap = initialMs << shift;
    return cap <= 0 || cap > maxMs ? maxMs : cap;
  }

  /** A random wait for attempt {@code n}. */
  public long delayMs(int attempt) {
    return ThreadLocalRandom.current().nextLong(capMs(attempt) + 1);
  }
}
