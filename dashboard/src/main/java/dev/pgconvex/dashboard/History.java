package dev.pgconvex.dashboard;

import java.util.ArrayList;
import java.util.List;

/**
 * The last hour of readings, in memory on the server (a reload of the page keeps it): a ring buffer
 * of points, the oldest dropped once full. Rates come from the counters of two consecutive
 * readings; a counter that went down (its stage restarted) counts as no change. Thread-safe.
 */
public final class History {
  /**
   * One point.
   *
   * @param atMs when it was read, epoch ms
   * @param lagMs end-to-end lag, null while unknown
   * @param capturedPerS changes read from Postgres per second since the point before, null when
   *     unknown (the first point, or no source answered)
   * @param appliedPerS ops applied in Convex per second since the point before, null when unknown
   * @param slotLagBytes WAL the slot holds, null while unknown
   */
  public record Point(
      long atMs, Long lagMs, Double capturedPerS, Double appliedPerS, Long slotLagBytes) {}

  private final Point[] ring;
  private final long spanMs;
  private int next;
  private int size;
  private long lastAtMs = -1;
  private Long lastCaptured;
  private Long lastApplied;

  /**
   * @param spanMs how far back it keeps points (an hour)
   * @param intervalMs the expected time between points, which sizes the buffer
   */
  public History(long spanMs, long intervalMs) {
    this.spanMs = spanMs;
    this.ring = new Point[(int) Math.max(2, spanMs / Math.max(1, intervalMs) + 1)];
  }

  /**
   * Records a reading.
   *
   * @param captured changes read from Postgres since the source started, null when unknown
   * @param applied ops applied in Convex since the sink started, null when unknown
   */
  public synchronized Point record(
      long atMs, Long lagMs, Long captured, Long applied, Long slotLagBytes) {
    double seconds = lastAtMs < 0 ? 0 : (atMs - lastAtMs) / 1000.0;
    Point p =
        new Point(
            atMs,
            lagMs,
            rate(lastCaptured, captured, seconds),
            rate(lastApplied, applied, seconds),
            slotLagBytes);
    ring[next] = p;
    next = (next + 1) % ring.length;
    size = Math.min(size + 1, ring.length);
    lastAtMs = atMs;
    lastCaptured = captured;
    lastApplied = applied;
    return p;
  }

  private static Double rate(Long before, Long now, double seconds) {
    if (before == null || now == null || seconds <= 0) {
      return null;
    }
    return Math.max(0, now - before) / seconds;
  }

  /** The points no older than the span before {@code nowMs}, oldest first. */
  public synchronized List<Point> points(long nowMs) {
    List<Point> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      Point p = ring[(next - size + i + ring.length) % ring.length];
      if (p.atMs() >= nowMs - spanMs) {
        out.add(p);
      }
    }
    return out;
  }

  /** The newest point, or null before the first. */
  public synchronized Point latest() {
    return size == 0 ? null : ring[(next - 1 + ring.length) % ring.length];
  }
}
