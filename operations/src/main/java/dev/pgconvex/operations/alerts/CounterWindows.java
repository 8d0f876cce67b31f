package dev.pgconvex.operations.alerts;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The increase of monotonic counters over a sliding window, from the samples of successive
 * evaluations (Prometheus's {@code increase()} on the pipeline's own figures). A counter that goes
 * down (its stage restarted) counts from zero again. Not thread-safe: the evaluator's thread owns
 * it.
 */
public final class CounterWindows {
  private record Sample(long atMs, double value) {}

  private final Map<String, Deque<Sample>> series = new HashMap<>();
  private final Map<String, Double> resets = new HashMap<>();

  /**
   * Records {@code value} of counter {@code name} at {@code nowMs} and returns how much it grew
   * within the last {@code windowMs}. The first sample of a counter counts as its start: the
   * increase is 0 then (the counter's past before this process watched it is not "arriving").
   */
  public double increase(String name, double value, long nowMs, long windowMs) {
    Deque<Sample> s = series.computeIfAbsent(name, k -> new ArrayDeque<>());
    double offset = resets.getOrDefault(name, 0.0);
    if (!s.isEmpty() && value + offset < s.peekLast().value()) {
      offset = s.peekLast().value(); // a reset: continue from where it was
      resets.put(name, offset);
    }
    double v = value + offset;
    s.addLast(new Sample(nowMs, v));
    // Keep one sample at or before the window's start, as the baseline.
    while (s.size() > 1 && secondOldest(s).atMs() <= nowMs - windowMs) {
      s.removeFirst();
    }
    return Math.max(0, v - s.peekFirst().value());
  }

  private static Sample secondOldest(Deque<Sample> s) {
    var it = s.iterator();
    it.next();
    return it.next();
  }
}
