package dev.pgconvex.cutover.barrier;

import java.util.Map;
import java.util.OptionalLong;

/**
 * How far a marker got: the partitions whose sink confirmed it.
 *
 * @param marker the marker
 * @param partitions the number of ops partitions ({@code cdc.topic.partitions})
 * @param confirmed per partition its confirmation; a partition is absent until confirmed
 */
public record MarkerProgress(Marker marker, int partitions, Map<Integer, Confirmation> confirmed) {
  public MarkerProgress {
    confirmed = Map.copyOf(confirmed);
  }

  /** Every partition confirmed. */
  public boolean complete() {
    return confirmed.size() >= partitions;
  }

  /**
   * Complete, and no row was held for a parent anywhere when the marker passed: every change
   * committed before the marker is applied in Convex. Complete with rows held means those rows may
   * still follow: wait for them to resolve and send another marker.
   */
  public boolean drained() {
    return complete() && confirmed.values().stream().allMatch(c -> c.held() == 0);
  }

  /** The most rows held reported by any partition. */
  public long held() {
    return confirmed.values().stream().mapToLong(Confirmation::held).max().orElse(0);
  }

  /** Latest time the marker reached a hop over all partitions (slowest partition), if complete. */
  public OptionalLong lastAt(java.util.function.ToLongFunction<Confirmation> hop) {
    return complete() ? confirmed.values().stream().mapToLong(hop).max() : OptionalLong.empty();
  }
}
