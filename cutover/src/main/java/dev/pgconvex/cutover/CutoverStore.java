package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The cutover's state in Convex ({@code cdc_cutovers}, {@code convex/cdc/cutover.ts}), which the
 * application can subscribe to. In production {@link ConvexCutoverStore}.
 */
public interface CutoverStore {
  /**
   * The states, in order; {@code switched}, {@code rehearsed} (a {@code --freeze none} run without
   * {@code --on-frozen}: nothing was switched) and {@code aborted} are final.
   */
  enum State {
    READY,
    FREEZING,
    DRAINING,
    VERIFYING,
    SWITCHED,
    REHEARSED,
    ABORTED;

    /** The stored form ({@code ready}, ...). */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Records that the cutover is in {@code state} now.
   *
   * @param fields more fields of the record ({@code freeze}, {@code markerLsn}, {@code pauseMs},
   *     {@code step}, {@code reason}, {@code verify}); may be empty
   */
  void record(String cutoverId, State state, ObjectNode fields) throws Exception;

  /** The last verify a cutover recorded for this pipeline, or null. */
  Readiness.LastVerify lastVerify() throws Exception;
}
