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
 * @param heldTables tables whose changes are held in order because they no longer match the mapping
 *     (schema drift); empty when none
 */
public record TransformerStatus(
    StageState state,
    String detail,
    LastError lastError,
    String streamsState,
    long pendingRows,
    Long oldestPendingAgeMs,
    long deadLetters,
    java.util.List<Held> heldTables)
    implements StageStatus {

  /**
   * A table held for schema drift.
   *
   * @param table {@code schema.table}
   * @param changes changes held (this instance)
   * @param sincePosition position of the first held change
   * @param sinceMs when the first change was held, epoch ms
   * @param reason what differs and how to fix it
   * @param maxChanges the bound per table and converter task ({@code
   *     transformer.schema.drift.max.held.changes}) past which changes are dead-lettered; 0 when
   *     unknown
   */
  public record Held(
      String table,
      long changes,
      String sincePosition,
      long sinceMs,
      String reason,
      long maxChanges) {
    /** Without the bound (unknown). */
    public Held(String table, long changes, String sincePosition, long sinceMs, String reason) {
      this(table, changes, sincePosition, sinceMs, reason, 0);
    }
  }

  public TransformerStatus {
    heldTables = heldTables == null ? java.util.List.of() : java.util.List.copyOf(heldTables);
  }

  /** Without held tables. */
  public TransformerStatus(
      StageState state,
      String detail,
      LastError lastError,
      String streamsState,
      long pendingRows,
      Long oldestPendingAgeMs,
      long deadLetters) {
    this(
        state,
        detail,
        lastError,
        streamsState,
        pendingRows,
        oldestPendingAgeMs,
        deadLetters,
        java.util.List.of());
  }

  @Override
  public String stage() {
    return "transformer";
  }
}
