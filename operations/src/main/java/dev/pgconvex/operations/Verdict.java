package dev.pgconvex.operations;

import com.fasterxml.jackson.annotation.JsonValue;

/** The one word for the whole chain, in the order of severity. */
public enum Verdict {
  /** Every stage runs and Convex has applied what Postgres committed, within the lag bound. */
  CAUGHT_UP("caught up"),
  /** Running, but behind (or still starting). */
  LAGGING("lagging"),
  /** Running, but nothing has reached Convex for too long. */
  STALLED("stalled"),
  /** A stage failed or cannot be reached. */
  FAILING("failing");

  private final String word;

  Verdict(String word) {
    this.word = word;
  }

  /** {@code caught up}, {@code lagging}, {@code stalled}, {@code failing}: the JSON form. */
  @JsonValue
  public String word() {
    return word;
  }
}
