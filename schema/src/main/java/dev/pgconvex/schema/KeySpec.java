package dev.pgconvex.schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Key columns of a table without a primary key, given on the command line as {@code
 * [schema.]table=col1,col2} ({@code --key audit=at,what}), in key order.
 *
 * @param table {@code schema.table}
 */
public record KeySpec(String table, List<String> columns) {
  public KeySpec {
    columns = List.copyOf(columns);
  }

  /** Parses one spec; IllegalArgumentException with the expected form on a malformed one. */
  public static KeySpec parse(String text) {
    int eq = text.indexOf('=');
    String[] table = eq < 0 ? new String[0] : text.substring(0, eq).trim().split("\\.");
    List<String> cols =
        eq < 0
            ? List.of()
            : Arrays.stream(text.substring(eq + 1).split(",")).map(String::trim).toList();
    if (table.length < 1
        || table.length > 2
        || Arrays.stream(table).anyMatch(String::isBlank)
        || cols.isEmpty()
        || cols.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(
          "Key '" + text + "' is not of the form [schema.]table=col1[,col2] (e.g. audit=at,what)");
    }
    if (cols.stream().distinct().count() != cols.size()) {
      throw new IllegalArgumentException("Key '" + text + "' names a column twice");
    }
    return new KeySpec(table.length == 2 ? String.join(".", table) : "public." + table[0], cols);
  }

  /**
   * The specs as {@link CatalogReader#read(List, List, MappingFile, Map)} takes them.
   *
   * @throws IllegalArgumentException when a table is given twice
   */
  public static Map<String, List<String>> byTable(List<KeySpec> specs) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    List<String> twice = new ArrayList<>();
    for (KeySpec k : specs) {
      if (out.putIfAbsent(k.table, k.columns) != null) {
        twice.add(k.table);
      }
    }
    if (!twice.isEmpty()) {
      throw new IllegalArgumentException("Key of " + String.join(", ", twice) + " given twice");
    }
    return out;
  }
}
