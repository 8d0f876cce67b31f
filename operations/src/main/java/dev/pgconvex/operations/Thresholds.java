package dev.pgconvex.operations;

/**
 * When the chain counts as lagging or stalled.
 *
 * @param laggingAfterMs end-to-end lag above which the chain is lagging
 * @param stalledAfterMs end-to-end lag above which it is stalled (nothing applied for that long)
 * @param slotLagBytes WAL held by the slot above which it is lagging
 */
public record Thresholds(long laggingAfterMs, long stalledAfterMs, long slotLagBytes) {
  /** 10 s lagging, 60 s stalled, 1 GiB of WAL. */
  public static final Thresholds DEFAULTS = new Thresholds(10_000, 60_000, 1L << 30);
}
