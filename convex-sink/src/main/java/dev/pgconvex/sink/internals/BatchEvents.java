package dev.pgconvex.sink.internals;

/**
 * What happened to {@code BatchApplier}'s Convex calls (a batch applied, a retry, a split), for the
 * sink's metrics. Not {@link dev.pgconvex.sink.AppliedListener}, the public hook told about each
 * applied op once it is committed. Implementations must be thread-safe and fast.
 */
public interface BatchEvents {
  BatchEvents NONE = new BatchEvents() {};

  /** A mutation succeeded: {@code ops} ops in {@code nanos}. */
  default void onBatchApplied(int ops, long nanos) {}

  /** A transient failure will be retried; {@code reason} is a short label. */
  default void onRetry(String reason) {}

  /** A rejected batch is being split in halves. */
  default void onSplit() {}

  /**
   * A marker op was handled: {@code confirmed} when Convex recorded it, false when Convex refused
   * the confirmation (e.g. functions of an older version without {@code cdc/markers}).
   */
  default void onMarker(boolean confirmed) {}
}
