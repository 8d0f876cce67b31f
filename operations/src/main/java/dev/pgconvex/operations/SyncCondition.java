package dev.pgconvex.operations;

import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import java.util.Locale;
import java.util.Map;

/**
 * The one definition of "caught up to a WAL position", the pipeline half of {@code
 * --exit-when-synced} in {@code ./cdc run} and {@code ./cdc demo} (the other half compares the
 * content): every stage running, the source has every change committed up to the position in Kafka
 * (or the slot confirmed past it), the transformer holds no row for a parent, and Kafka holds
 * nothing the transformer or the sink has not consumed. Pure.
 */
public final class SyncCondition {
  private SyncCondition() {}

  /**
   * @param stages the statuses of the stages this process knows, by name; a stage running elsewhere
   *     (absent here) is judged by its consumer lag only
   * @param kafkaDrained whether the transformer and sink groups have consumed everything ({@link
   *     dev.pgconvex.operations.lag.ConsumerLag#drained})
   * @param startLsn the WAL position to be caught up to (e.g. {@code pg_current_wal_lsn()} at
   *     start)
   * @return null when caught up, otherwise why not, in words
   */
  public static String notCaughtUp(
      Map<String, StageStatus> stages, boolean kafkaDrained, long startLsn) {
    for (String name : new String[] {"source", "transformer", "sink"}) {
      StageStatus s = stages.get(name);
      if (s != null && s.state() != StageState.RUNNING) {
        return name
            + " is "
            + s.state().name().toLowerCase(Locale.ROOT)
            + (s.detail() == null ? "" : ": " + s.detail());
      }
    }
    if (stages.get("source") instanceof SourceStatus src
        && src.ackedCommitLsn() < startLsn
        && src.slotConfirmedFlushLsn() < startLsn) {
      return "the source has not yet passed WAL position " + Long.toHexString(startLsn);
    }
    if (stages.get("transformer") instanceof TransformerStatus t && t.pendingRows() > 0) {
      return t.pendingRows() + " rows wait for a parent";
    }
    if (!kafkaDrained) {
      return "Kafka holds records the transformer or the sink has not consumed";
    }
    return null;
  }
}
