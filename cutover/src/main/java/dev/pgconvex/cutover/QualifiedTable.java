package dev.pgconvex.cutover;

import java.util.Objects;

/**
 * A captured Postgres table.
 *
 * @param schema its schema, e.g. {@code public}
 * @param table its name
 */
public record QualifiedTable(String schema, String table) {
  public QualifiedTable {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(table, "table");
  }

  /** {@code "schema"."table"}, quoted for SQL. */
  public String sql() {
    return FreezeSql.ident(schema) + "." + FreezeSql.ident(table);
  }

  @Override
  public String toString() {
    return schema + "." + table;
  }
}
