package dev.pgconvex.sink.batch;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Adaptive limit on concurrent batch mutations (AIMD, as TCP congestion control): each success adds
 * {@code 1/limit} (about +1 per round of {@code limit} batches), each 429 halves the limit, at most
 * once per {@code decreaseInterval} so that one wave of 429s from batches sent under the old limit
 * counts once. A {@code Retry-After} additionally blocks every new send until it passes. The limit
 * stays between 1 and the configured maximum.
 *
 * <p>So a plan's concurrency or write-throughput limit is used close to its capacity without a
 * storm of retries. Thread-safe.
 */
public final class AimdLimiter {
  private final int max;
  private final long decreaseIntervalNanos;
  private final LongSupplier nanoClock;
  private double limit;
  private int inFlight;
  private long lastDecrease;
  private boolean decreased;
  private long blockedUntil;

  /**
   * @param max highest limit, also the starting one ({@code sink.max.in.flight.batches})
   * @param decreaseInterval minimum time between two decreases
   * @param nanoClock {@link System#nanoTime} or a test clock
   */
  public AimdLimiter(int max, Duration decreaseInterval, LongSupplier nanoClock) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1: " + max);
    }
    this.max = max;
    this.limit = max;
    this.decreaseIntervalNanos = decreaseInterval.toNanos();
    this.nanoClock = nanoClock;
  }

  public AimdLimiter(int max) {
    this(max, Duration.ofMillis(200), System::nanoTime);
  }

  /** Takes a permit when fewer than {@code floor(limit)} are taken and no Retry-After is due. */
  public synchronized boolean tryAcquire() {
    if (blockedNanos() > 0 || inFlight >= (int) limit) {
      return false;
    }
    inFlight++;
    return true;
  }

  /** Returns a permit taken by {@link #tryAcquire}. */
  public synchronized void release() {
    if (inFlight > 0) {
      inFlight--;
    }
  }

  /** Additive increase after a successful call. */
  public synchronized void onSuccess() {
    limit = Math.min(max, limit + 1.0 / limit);
  }

  /**
   * Multiplicative decrease after a 429.
   *
   * @param retryAfter the server's Retry-After, or null
   */
  public synchronized void onRateLimited(Duration retryAfter) {
    long now = nanoClock.getAsLong();
    if (!decreased || now - lastDecrease >= decreaseIntervalNanos) {
      limit = Math.max(1.0, limit / 2);
      lastDecrease = now;
      decreased = true;
    }
    if (retryAfter != null && !retryAfter.isZero()) {
      long until = now + retryAfter.toNanos();
      if (blockedNanos() <= 0 || until - blockedUntil > 0) {
        blockedUntil = until;
      }
    }
  }

  /** Time left before sends may resume after a Retry-After, in nanoseconds; 0 when not blocked. */
  public synchronized long blockedNanos() {
    long left = blockedUntil - nanoClock.getAsLong();
    return blockedUntil == 0 || left <= 0 ? 0 : left;
  }

  /** The current limit (fractional: the permitted count is its floor). */
  public synchronized double limit() {
    return limit;
  }

  public synchronized int inFlight() {
    return inFlight;
  }
}
