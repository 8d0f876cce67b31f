package dev.pgconvex.common.status;

/**
 * The Convex sink's status.
 *
 * @param assignedPartitions partitions of {@code <prefix>.ops} this instance owns
 * @param lastAppliedCommitTs source commit time (epoch ms) of the newest change applied in Convex,
 *     0 before the first
 * @param endToEndLagMs now minus the commit time of the newest change (row or heartbeat) known
 *     applied in Convex, taken on the slowest partition; null while unknown (a fresh mirror)
 * @param checkpoint the position Convex stored as the checkpoint, null before the first
 * @param inFlightLimit the current limit of concurrent batches (AIMD)
 * @param rateLimited 429 answers since start
 * @param retries retried calls since start
 * @param deadLetters ops dead-lettered since start
 * @param failingForMs how long every Convex call has been failing (and retried) without a success
 *     in between; 0 while calls succeed
 */
public record SinkStatus(
    StageState state,
    String detail,
    LastError lastError,
    int assignedPartitions,
    long lastAppliedCommitTs,
    Long endToEndLagMs,
    String checkpoint,
    int inFlightLimit,
    long rateLimited,
    long retries,
    long deadLetters,
    long failingForMs)
    implements StageStatus {
  @Override
  public String stage() {
    return "sink";
  }
}
