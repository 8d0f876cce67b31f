package dev.pgconvex.common.status;

import java.util.Map;

/**
 * The background verification's status ({@code verify.continuous.enabled}), as the process that
 * runs it serves it at {@code GET /verify} and {@code ./cdc status} shows it. Not a stage: it reads
 * Postgres and Convex beside the chain.
 *
 * @param running its thread runs
 * @param startedAtMs when it started, epoch ms
 * @param passes complete passes since start
 * @param failedPasses passes that could not complete since start
 * @param lastPassCompletedAtMs when the last complete pass ended, epoch ms; null before the first
 * @param mismatchedRows keys that differed in the last complete pass, all tables (keys still in
 *     flight when the pass ended are not counted)
 * @param mismatchedByTable the same per Convex table
 * @param lastError the last failed pass, null if none
 */
public record VerifyStatus(
    boolean running,
    long startedAtMs,
    long passes,
    long failedPasses,
    Long lastPassCompletedAtMs,
    long mismatchedRows,
    Map<String, Long> mismatchedByTable,
    LastError lastError) {
  public VerifyStatus {
    mismatchedByTable = Map.copyOf(mismatchedByTable);
  }

  /** A complete pass found the mirror equal to Postgres and none found a difference since. */
  public boolean clean() {
    return lastPassCompletedAtMs != null && mismatchedRows == 0;
  }
}
