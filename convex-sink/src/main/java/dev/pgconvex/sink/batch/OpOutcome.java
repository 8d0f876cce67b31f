package dev.pgconvex.sink.batch;

/**
 * What became of one op of a batch. Immutable.
 *
 * @param op the op
 * @param status result
 * @param id the Convex document id after the op, or null
 * @param reason for {@link Status#DEAD_LETTER} and {@link Status#MISSING}: what went wrong and what
 *     to do; else null
 */
public record OpOutcome(PendingOp op, Status status, String id, String reason) {
  /** Result kinds. */
  public enum Status {
    /** Written (or re-written with the same position). */
    APPLIED,
    /** Stale: Convex holds a newer position for the document. */
    SKIPPED,
    /** A patch found no document; nothing written. Dead-lettered. */
    MISSING,
    /** Rejected by Convex or unreadable. Dead-lettered. */
    DEAD_LETTER,
    /**
     * A heartbeat op: never sent to Convex; done with its batch, when it counts as applied at its
     * commit time (end-to-end lag, the checkpoint). Not a row: no id, no row metric.
     */
    HEARTBEAT,
    /**
     * A marker op: confirmed in Convex ({@code cdc/markers:confirmMarker}) once every op before it
     * in the batch is applied; otherwise like a heartbeat.
     */
    MARKER
  }

  /** True when the op must go to the dead-letter topic. */
  public boolean deadLetter() {
    return status == Status.MISSING || status == Status.DEAD_LETTER;
  }
}
