package dev.pgconvex.source.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Postgres table named {@code schema.table}. Names are taken as written (case-sensitive, as
 * stored in the catalog); immutable.
 *
 * @param schema schema name, never null
 * @param table table name, never null
 */
public record TableId(String schema, String table) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");

  public TableId {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
  }

  /**
   * Parses {@code schema.table}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static TableId parse(String text) {
    String t = text.trim();
    int dot = t.indexOf('.');
    if (dot <= 0 || dot != t.lastIndexOf('.') || dot == t.length() - 1) {
      throw new IllegalArgumentException(
          "'" + text + "' is not schema.table (for example public.orders)");
    }
    String schema = t.substring(0, dot);
    String table = t.substring(dot + 1);
    if (!NAME.matcher(schema).matches() || !NAME.matcher(table).matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' has a name that is not a plain identifier (letters, digits, '_', '$'; not"
              + " starting with a digit)");
    }
    return new TableId(schema, table);
  }

  /** The SQL form with quoted identifiers: {@code "public"."orders"}. */
  public String quoted() {
    return '"' + schema + "\".\"" + table + '"';
  }

  /** Debezium's {@code table.include.list} entry: an anchored regular expression. */
  public String includeRegex() {
    return Pattern.quote(schema) + "\\." + Pattern.quote(table);
  }

  @Override
  public String toString() {
    return schema + "." + table;
  }
}
