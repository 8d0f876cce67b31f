package dev.pgconvex.schema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tables of a schema that can be mirrored, when the user names none: every table and
 * partitioned table, and, each with its reason, what is left out (views, partitions, which come
 * with their parent, tables without a primary key, the pipeline's own tables, exclusions).
 * Stateless.
 */
public final class TableDiscovery {
  private TableDiscovery() {}

  /**
   * @param tables {@code schema.table} of every table to capture, in name order
   * @param skipped one line per table (or group of partitions) left out, with the reason and fix
   */
  public record Result(List<String> tables, List<String> skipped) {}

  /**
   * @param schema the schema to look in ({@code public} by default in the CLI)
   * @param exclude table names (with or without the schema) not to capture
   * @param keyed tables ({@code schema.table}) given key columns in configuration: captured even
   *     without a primary key
   */
  public static Result discover(Connection c, String schema, Set<String> exclude, Set<String> keyed)
      throws SQLException {
    List<String> tables = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Map<String, List<String>> partitionsOf = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.relname, c.relkind, c.relispartition,"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),"
                + " (SELECT p.relname FROM pg_class p WHERE p.oid = pg_partition_root(c.oid))"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                + " ORDER BY c.relname")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          String kind = rs.getString(2);
          String qualified = schema + "." + name;
          if (exclude.contains(name) || exclude.contains(qualified)) {
            skipped.add(
                qualified + ": excluded (--exclude-tables, or include: false in the mapping file)");
          } else if (name.startsWith("pgconvex_")) {
            skipped.add(qualified + ": the pipeline's own table");
          } else if (!kind.equals("r") && !kind.equals("p")) {
            skipped.add(qualified + ": a " + kindName(kind) + ", not a table");
          } else if (rs.getBoolean(3)) {
            partitionsOf
                .computeIfAbsent(schema + "." + rs.getString(5), k -> new ArrayList<>())
                .add(name);
          } else if (!rs.getBoolean(4) && !keyed.contains(qualified)) {
            skipped.add(
                qualified
                    + ": no primary key; add one, or name its key columns (--key "
                    + name
                    + "=col1,col2, key: [...] in the mapping file or source.key.columns="
                    + qualified
                    + ":col1+col2, with REPLICA IDENTITY FULL)");
          } else {
            tables.add(qualified);
          }
        }
      }
    }
    partitionsOf.forEach(
        (parent, parts) ->
            skipped.add(
                parts.size()
                    + (parts.size() == 1 ? " partition" : " partitions")
                    + " of "
                    + parent
                    + ": captured through "
                    + parent));
    return new Result(List.copyOf(tables), List.copyOf(skipped));
  }

  private static String kindName(String kind) {
    return switch (kind) {
      case "v" -> "view";
      case "m" -> "materialized view";
      case "f" -> "foreign table";
      default -> "relation of kind " + kind;
    };
  }
}
