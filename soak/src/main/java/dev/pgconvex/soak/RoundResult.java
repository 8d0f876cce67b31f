package dev.pgconvex.soak;

/**
 * The outcome of one round, as the results table and {@code --json} show it.
 *
 * @param round 1-based
 * @param fault the round's faults ({@link RoundPlan#label()})
 * @param kills stage processes (and emulator) killed with SIGKILL in the round
 * @param changes row changes the load committed in the round (inserts, updates, deletes, key
 *     changes; a key change is one)
 * @param lost rows of Postgres without a document in Convex
 * @param duplicated documents in a mirrored table beyond one per live key (two documents for one
 *     key)
 * @param different documents whose fields differ from their row
 * @param extra documents without a row in Postgres
 * @param wrongRefs reference fields not pointing at the document of their parent's key
 * @param convergeSeconds from the load's pause until the mirror equalled Postgres (or the timeout)
 * @param converged whether it did within the timeout
 * @param note why not, or what the round saw that a reader should know; null when nothing
 */
public record RoundResult(
    int round,
    String fault,
    int kills,
    long changes,
    long lost,
    long duplicated,
    long different,
    long extra,
    long wrongRefs,
    double convergeSeconds,
    boolean converged,
    String note) {

  /** No loss, no duplicate, no difference of any kind, and converged. */
  public boolean clean() {
    return converged
        && lost == 0
        && duplicated == 0
        && different == 0
        && extra == 0
        && wrongRefs == 0;
  }
}
