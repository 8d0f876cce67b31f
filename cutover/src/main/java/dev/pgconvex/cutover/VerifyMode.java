package dev.pgconvex.cutover;

import java.util.Locale;

/** What the cutover verifies once the marker has drained. */
public enum VerifyMode {
  /**
   * The keys whose key row in Convex changed at or after the baseline of the last clean verify
   * recorded by a cutover (a rehearsal records one); everything when there is none.
   */
  CHANGED("changed"),
  /** Every table, chunk by chunk ({@code ./cdc verify}). */
  FULL("full"),
  /** Nothing: the barrier alone. */
  NONE("none");

  private final String word;

  VerifyMode(String word) {
    this.word = word;
  }

  /** The command-line and JSON form. */
  public String word() {
    return word;
  }

  /** The mode named {@code word} (case-insensitive). */
  public static VerifyMode parse(String word) {
    for (VerifyMode m : values()) {
      if (m.word.equals(word.toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown verify mode '" + word + "': use changed, full or none");
  }
}
