package dev.pgconvex.schema;

import java.util.Locale;
import java.util.Set;

/**
 * Postgres names to Convex names: snake_case to camelCase, and Convex's naming rules. Stateless.
 */
public final class Naming {
  /**
   * Convex's top-level field names: {@code [A-Za-z_][A-Za-z0-9_]*}, at most 64 chars, no leading
   * '_'.
   */
  public static final int MAX_LENGTH = 64;

  private static final Set<String> RESERVED = Set.of("_id", "_creationTime");

  /** Index names Convex keeps for itself. */
  public static final Set<String> RESERVED_INDEX_NAMES = Set.of("by_id", "by_creation_time");

  private static final java.util.regex.Pattern LEGAL =
      java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

  private Naming() {}

  /** Whether {@code name} is a legal Convex table or field name as it is. */
  public static boolean isLegal(String name) {
    return name != null
        && name.length() <= MAX_LENGTH
        && LEGAL.matcher(name).matches()
        && !RESERVED.contains(name.toLowerCase(Locale.ROOT));
  }

  /** Whether {@code name} is a legal Convex index name as it is. */
  public static boolean isLegalIndex(String name) {
    return name != null
        && name.length() <= MAX_LENGTH
        && LEGAL.matcher(name).matches()
        && !RESERVED_INDEX_NAMES.contains(name);
  }

  /**
   * The default index name on {@code fields}: {@code by_a_b}, made legal (Convex reserves {@code
   * by_id} and {@code by_creation_time}; names are at most 64 chars).
   */
  public static String indexName(java.util.List<String> fields) {
    String name = "by_" + String.join("_", fields);
    if (RESERVED_INDEX_NAMES.contains(name)) {
      name = name + "_field";
    }
    return name.length() > MAX_LENGTH ? name.substring(0, MAX_LENGTH) : name;
  }

  /** {@code created_at} to {@code createdAt}; a name already in camelCase stays as it is. */
  public static String camel(String snake) {
    StringBuilder sb = new StringBuilder(snake.length());
    boolean upper = false;
    for (int i = 0; i < snake.length(); i++) {
      char c = snake.charAt(i);
      if (c == '_' && sb.length() > 0) {
        upper = true;
      } else if (c == '_') {
        // leading underscores are handled by legal()
        sb.append(c);
      } else {
        sb.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return sb.toString();
  }

  /**
   * Makes {@code name} a legal Convex table or field name.
   *
   * @param warnings receives one sentence for every rename, naming {@code what}
   */
  public static String legal(String name, String what, java.util.List<String> warnings) {
    String out = name.replaceAll("[^A-Za-z0-9_]", "_");
    while (out.startsWith("_")) {
      out = out.substring(1);
    }
    if (out.isEmpty() || Character.isDigit(out.charAt(0))) {
      out = "f" + out;
    }
    if (out.length() > MAX_LENGTH) {
      out = out.substring(0, MAX_LENGTH);
    }
    if (RESERVED.contains(out.toLowerCase(Locale.ROOT))) {
      out = out + "Value";
    }
    if (!out.equals(name)) {
      warnings.add(
          what
              + ": '"
              + name
              + "' is not a legal Convex name; renamed to '"
              + out
              + "' (set a rename in the mapping file to choose another)");
    }
    return out;
  }
}
