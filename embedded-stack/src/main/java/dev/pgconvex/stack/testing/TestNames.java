package dev.pgconvex.stack.testing;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Unique names for test resources (databases, slots, topics, groups). Thread-safe. */
public final class TestNames {
  /** Postgres identifiers (database, slot) are at most 63 bytes. */
  static final int MAX_LENGTH = 63;

  private static final AtomicInteger COUNTER = new AtomicInteger();

  private TestNames() {}

  /**
   * A name no other call in this or another JVM returns (in practice): the prefix, lower-cased,
   * with every character outside {@code [a-z0-9_]} replaced by {@code _}, then {@code _}, a per-JVM
   * counter and random base-36 digits. Starts with a letter and is at most 63 characters, so it is
   * valid unquoted as a Postgres database, role or replication slot name, and as a Kafka topic,
   * consumer group or Streams application id.
   *
   * @param prefix readable part, e.g. the test's name; null or empty gives {@code t}
   */
  public static String unique(String prefix) {
    String clean =
        prefix == null ? "" : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) {
      clean = "t" + clean;
    }
    String suffix =
        "_"
            + COUNTER.incrementAndGet()
            + "_"
            + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
    int room = MAX_LENGTH - suffix.length();
    if (clean.length() > room) {
      clean = clean.substring(0, room);
    }
    return clean + suffix;
  }
}
