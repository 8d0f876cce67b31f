package dev.pgconvex.common.status;

/**
 * The transformer's status.
 *
 * @param streamsState the Kafka Streams state ({@code RUNNING}, {@code REBALANCING}, ...)
 * @param pendingRows rows held waiting for a parent's id (orphans included)
 * @param deadLetters records dead-lettered since start
 */
public record TransformerStatus(
    StageState state,
    String detail,
    LastError lastError,
    String streamsState,
    long pendingRows,
    long deadLetters)
    implements StageStatus {
  @Override
  public String stage() {
    return "transformer";
  }
}
