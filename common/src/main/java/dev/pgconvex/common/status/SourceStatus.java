package dev.pgconvex.common.status;

/**
 * The CDC source's status.
 *
 * @param ackedCommitLsn commit LSN up to which every change is in Kafka (0 before the first)
 * @param slotConfirmedFlushLsn the slot's confirmed_flush_lsn at the last poll (0 before)
 * @param slotLagBytes WAL the slot holds back ({@code pg_current_wal_lsn() - confirmed_flush_lsn};
 *     -1 before the first poll)
 * @param slotWalStatus the slot's {@code wal_status} ({@code reserved}, {@code extended}, {@code
 *     unreserved}, {@code lost}), null before the first poll
 * @param slotActive whether a walsender holds the slot (null before the first poll)
 * @param slotLsnUnchangedMs how long the slot's confirmed LSN has not moved while the slot holds
 *     WAL back (0 when it holds none): a stuck slot grows this while the database writes
 * @param millisBehindSource now minus the source commit time of the last change in Kafka, -1 when
 *     none yet (while idle it grows between heartbeats)
 * @param snapshotFinished whether the initial snapshot (if any) is complete
 * @param snapshotRows snapshot rows in Kafka since this start
 */
public record SourceStatus(
    StageState state,
    String detail,
    LastError lastError,
    long ackedCommitLsn,
    long slotConfirmedFlushLsn,
    long slotLagBytes,
    String slotWalStatus,
    Boolean slotActive,
    long slotLsnUnchangedMs,
    long millisBehindSource,
    boolean snapshotFinished,
    long snapshotRows)
    implements StageStatus {
  @Override
  public String stage() {
    return "source";
  }
}
