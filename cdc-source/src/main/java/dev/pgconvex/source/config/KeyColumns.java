package dev.pgconvex.source.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Key columns configured for tables without a primary key ({@code source.key.columns}), written
 * {@code schema.table:col1+col2;schema.other:id}. Immutable.
 */
public final class KeyColumns {
  private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
  private static final KeyColumns NONE = new KeyColumns(Map.of());

  private final Map<TableId, List<String>> columns;

  private KeyColumns(Map<TableId, List<String>> columns) {
    this.columns = Collections.unmodifiableMap(columns);
  }

  public static KeyColumns none() {
    return NONE;
  }

  /**
   * Parses the configured text; blank means none.
   *
   * @throws IllegalArgumentException listing every malformed entry
   */
  public static KeyColumns parse(String text) {
    if (text == null || text.isBlank()) {
      return NONE;
    }
    Map<TableId, List<String>> out = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (String entry : text.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int colon = entry.indexOf(':');
      if (colon < 0) {
        problems.add("'" + entry.trim() + "' has no ':' (write schema.table:col1+col2)");
        continue;
      }
      TableId table;
      try {
        table = TableId.parse(entry.substring(0, colon));
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
        continue;
      }
      List<String> cols = new ArrayList<>();
      for (String c : entry.substring(colon + 1).split("\\+")) {
        String col = c.trim();
        if (!COLUMN.matcher(col).matches()) {
          problems.add("'" + entry.trim() + "' has an invalid column name '" + col + "'");
          cols = null;
          break;
        }
        if (cols.contains(col)) {
          problems.add("'" + entry.trim() + "' names column '" + col + "' twice");
          cols = null;
          break;
        }
        cols.add(col);
      }
      if (cols == null) {
        continue;
      }
      if (out.putIfAbsent(table, List.copyOf(cols)) != null) {
        problems.add("table " + table + " is given twice");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return new KeyColumns(out);
  }

  /** The configured key columns of {@code table}, in key order, or an empty list. */
  public List<String> of(TableId table) {
    return columns.getOrDefault(table, List.of());
  }

  /** Every table with configured key columns. */
  public Map<TableId, List<String>> asMap() {
    return columns;
  }

  public boolean isEmpty() {
    return columns.isEmpty();
  }

  /**
   * Debezium's {@code message.key.columns}: {@code schema.table:col1,col2;...}; empty when none.
   */
  public String toDebezium() {
    StringBuilder sb = new StringBuilder();
    columns.forEach(
        (t, cols) -> {
          if (sb.length() > 0) {
            sb.append(';');
          }
          sb.append(t).append(':').append(String.join(",", cols));
        });
    return sb.toString();
  }
}
