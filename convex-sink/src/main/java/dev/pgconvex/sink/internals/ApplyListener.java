package dev.pgconvex.sink.internals;

/** Events of {@code BatchApplier}, for metrics. Implementations must be thread-safe and fast. */
public interface ApplyListener {
  ApplyListener NONE = new ApplyListener() {};

  /** A mutation succeeded: {@code ops} ops in {@code nanos}. */
  default void onBatchApplied(int ops, long nanos) {}

  /** A transient failure will be retried; {@code reason} is a short label. */
  default void onRetry(String reason) {}

  /** A rejected batch is being split in halves. */
  default void onSplit() {}
}
