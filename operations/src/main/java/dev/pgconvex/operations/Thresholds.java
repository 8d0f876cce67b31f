package dev.pgconvex.operations;

import dev.pgconvex.operations.alerts.AlertRules;
import dev.pgconvex.operations.alerts.AlertSettings;

/**
 * When the chain counts as lagging or stalled.
 *
 * @param laggingAfterMs end-to-end lag above which the chain is lagging
 * @param stalledAfterMs end-to-end lag above which it is stalled (nothing applied for that long)
 * @param slotLagBytes WAL held by the slot above which it is lagging
 * @param sinkFailingAfterMs how long every Convex call may fail (retried) before the chain is
 *     failing
 */
public record Thresholds(
    long laggingAfterMs, long stalledAfterMs, long slotLagBytes, long sinkFailingAfterMs) {
  /**
   * The alert rules' thresholds ({@code EndToEndLagHigh}, {@code PipelineStalled}, {@code
   * SlotLagHigh}, {@code SinkFailing}), so the verdict and the alerts agree.
   */
  public static Thresholds from(AlertSettings s) {
    return new Thresholds(
        s.of(AlertRules.END_TO_END_LAG).threshold(),
        s.of(AlertRules.STALLED).threshold(),
        s.of(AlertRules.SLOT_LAG).threshold(),
        s.of(AlertRules.SINK_FAILING).threshold());
  }

  /** The alert rules' defaults: 10 s lagging, 60 s stalled, 1 GiB of WAL, 60 s of failing calls. */
  public static final Thresholds DEFAULTS = from(AlertSettings.defaults());
}
