package dev.pgconvex.cutover;

import java.util.Locale;

/**
 * How a cutover stops the application's writes on the captured tables while it proves Convex has
 * every committed change (README, "Cutover"; which mode suits which application).
 */
public enum FreezeMode {
  /**
   * One transaction of the cutover holds {@code LOCK TABLE ... IN EXCLUSIVE MODE} on every captured
   * table: writers wait (they do not fail), reads go on. Ends with the cutover's connection, also
   * when the process dies.
   */
  LOCK("lock"),
  /**
   * {@code default_transaction_read_only} for the application's role (or the database), and the
   * role's open sessions ended after a bound: new write transactions fail instead of waiting.
   * Persists in the catalog until released, the next cutover or {@code --abort}.
   */
  READ_ONLY("read-only"),
  /** No pause: the drain and verify alone, for a rehearsal. */
  NONE("none");

  private final String word;

  FreezeMode(String word) {
    this.word = word;
  }

  /** {@code lock}, {@code read-only}, {@code none}: the command-line and JSON form. */
  public String word() {
    return word;
  }

  /** The mode named {@code word} (case-insensitive). */
  public static FreezeMode parse(String word) {
    for (FreezeMode m : values()) {
      if (m.word.equals(word.toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown freeze mode '" + word + "': use lock, read-only or none");
  }
}
