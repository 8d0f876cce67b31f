package dev.pgconvex.replay;

import java.util.Locale;

/**
 * Matches a table as the user names it ({@code public.user_profiles}, {@code user_profiles}) with
 * the names the topics carry (the Postgres table in a Debezium topic, the Convex table in a doc
 * ref, {@code userProfiles}): the schema is dropped, case and underscores are ignored. Stateless.
 */
public final class TableNames {
  private TableNames() {}

  /** The comparable form of a table name. */
  public static String normalize(String name) {
    String n = name.strip();
    int dot = n.lastIndexOf('.');
    if (dot >= 0) {
      n = n.substring(dot + 1);
    }
    return n.replace("_", "").toLowerCase(Locale.ROOT);
  }

  /** The Convex table of a doc ref ({@code threads/[7]}), or null when the key is not one. */
  public static String ofDocRef(String key) {
    if (key == null) {
      return null;
    }
    int slash = key.indexOf('/');
    return slash > 0 ? key.substring(0, slash) : null;
  }
}
