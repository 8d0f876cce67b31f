package dev.pgconvex.common.status;

/**
 * The transformer's status.
 *
 * @param streamsState the Kafka Streams state ({@code RUNNING}, {@code REBALANCING}, ...)
 * @param pendingRows rows held waiting for a parent's id (orphans included)
 * @param oldestPendingAgeMs how long the longest-held row has waited for its parent (ms), as of the
 *     last orphan check (every quarter of {@code transformer.orphan.report.after.ms}, at most 10
 *     s); null when no row is held
 * @param deadLetters records dead-lettered since start
 */
public record TransformerStatus(
    StageState state,
    String detail,
    LastError lastError,
    String streamsState,
    long pendingRows,
    Long oldestPendingAgeMs,
    long deadLetters)
    implements StageStatus {
  @Override
  public String stage() {
    return "transformer";
  }
}
