package dev.pgconvex.schema;

import dev.pgconvex.schema.CatalogQueries.Raw;
import dev.pgconvex.schema.CatalogQueries.RawFk;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Foreign keys declared on the partitions of a partitioned table rather than on the table itself,
 * as Pagila's {@code payment} does on each monthly partition. All partitions go to one Convex
 * table, so a key that every partition declares alike is the table's relation. One that some
 * partitions lack, or that they declare differently, is not invented: it is reported with the
 * {@code --relation} that would declare it. Stateless.
 */
final class PartitionForeignKeys {
  /**
   * One row per leaf partition and foreign key (a partition without keys: one row, nulls). A key
   * whose parent constraint is on the same partition is the clone of a key to a partitioned table,
   * one per referenced partition: left out.
   */
  private static final String LEAF_KEYS =
      "SELECT t.relid::oid, pn.nspname || '.' || pc.relname,"
          + " ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)"
          + "   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord),"
          + " ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)"
          + "   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)"
          + " FROM pg_partition_tree(?::oid::regclass) t"
          + " LEFT JOIN pg_constraint con ON con.conrelid = t.relid AND con.contype = 'f'"
          + "   AND NOT EXISTS (SELECT 1 FROM pg_constraint up"
          + "     WHERE up.oid = con.conparentid AND up.conrelid = con.conrelid)"
          + " LEFT JOIN pg_class pc ON pc.oid = con.confrelid"
          + " LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
          + " WHERE t.isleaf AND t.level > 0 ORDER BY t.relid, con.conname";

  private PartitionForeignKeys() {}

  /** What a partition's key references: {@code schema.table} and its columns. */
  record Target(String parent, List<String> parentColumns) {
    @Override
    public String toString() {
      return parent + "(" + String.join(",", parentColumns) + ")";
    }
  }

  /**
   * A key on {@code columns} that not all {@code partitions} declare alike.
   *
   * @param declaredBy how many partitions declare each target
   */
  record Undecided(List<String> columns, Map<Target, Integer> declaredBy, int partitions) {}

  /**
   * Adds to {@code raw} (the table of {@code oid}) the keys all its leaf partitions declare alike,
   * to {@link Raw#fks}, and the others, to {@link Raw#undecidedFks}. Columns on which the table
   * declares a key itself are left to that key. A table without partitions gets nothing.
   */
  static void read(Connection connection, long oid, Raw raw) throws SQLException {
    Set<Long> leaves = new HashSet<>();
    Map<List<String>, Map<Target, Set<Long>>> keys = leafKeys(connection, oid, leaves);
    keys.forEach(
        (columns, targets) -> {
          if (raw.fks.stream().anyMatch(f -> f.columns().equals(columns))) {
            return; // the table's own key (or its clone on every partition)
          }
          Target only = targets.keySet().iterator().next();
          if (targets.size() == 1 && targets.get(only).size() == leaves.size()) {
            raw.fks.add(new RawFk(columns, only.parent(), null, null));
          } else {
            Map<Target, Integer> declaredBy = new LinkedHashMap<>();
            targets.forEach((t, by) -> declaredBy.put(t, by.size()));
            raw.undecidedFks.add(new Undecided(columns, declaredBy, leaves.size()));
          }
        });
  }

  /**
   * The keys of the leaf partitions of {@code oid}: columns -> target -> the partitions declaring
   * it. Adds every leaf partition to {@code leaves}, keys or not.
   */
  private static Map<List<String>, Map<Target, Set<Long>>> leafKeys(
      Connection connection, long oid, Set<Long> leaves) throws SQLException {
    Map<List<String>, Map<Target, Set<Long>>> keys = new LinkedHashMap<>();
    try (PreparedStatement ps = connection.prepareStatement(LEAF_KEYS)) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long leaf = rs.getLong(1);
          leaves.add(leaf);
          if (rs.getString(2) != null) {
            keys.computeIfAbsent(names(rs.getArray(3)), k -> new LinkedHashMap<>())
                .computeIfAbsent(
                    new Target(rs.getString(2), names(rs.getArray(4))), k -> new HashSet<>())
                .add(leaf);
          }
        }
      }
    }
    return keys;
  }

  /**
   * One warning per undecided key of {@code raw} that no configured relation ({@code --relation},
   * mapping file) has settled since, naming the {@code --relation} that would declare it.
   */
  static List<String> warnings(Raw raw) {
    return raw.undecidedFks.stream()
        .filter(u -> raw.fks.stream().noneMatch(f -> f.columns().equals(u.columns())))
        .map(u -> warning(raw, u))
        .toList();
  }

  private static String warning(Raw raw, Undecided u) {
    String declared =
        u.declaredBy().entrySet().stream()
            .map(e -> e.getKey() + " on " + e.getValue())
            .collect(Collectors.joining(", "));
    // the target most partitions declare is the likeliest intent
    Target likeliest =
        u.declaredBy().entrySet().stream()
            .max(Comparator.comparingInt(Map.Entry::getValue))
            .orElseThrow()
            .getKey();
    String[] parent = likeliest.parent().split("\\.", 2);
    RelationSpec spec = new RelationSpec(raw.schema, raw.table, u.columns(), parent[0], parent[1]);
    return "foreign key "
        + raw.qualified()
        + "("
        + String.join(",", u.columns())
        + ") is declared on partitions only, and not alike on all "
        + u.partitions()
        + " ("
        + declared
        + "): it is not taken as a relation and the column(s) are copied as plain values;"
        + " if every row holds it, declare it with --relation "
        + spec.text();
  }

  private static List<String> names(Array array) throws SQLException {
    return List.of((String[]) array.getArray());
  }
}
