package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.CatalogQueries.Raw;
import dev.pgconvex.schema.CatalogQueries.RawColumn;
import dev.pgconvex.schema.CatalogQueries.RawFk;
import dev.pgconvex.schema.CatalogQueries.TableRef;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What changed in the live Postgres catalog since a {@link Mapping} was made: tables and columns
 * added or removed, types, nullability, primary keys and declared relations changed. A column added
 * during a run is one the pipeline does not copy (the deployed schema does not know it) until the
 * schema is regenerated and deployed. Immutable.
 */
public final class SchemaDiff {
  /** The kinds of change. */
  public enum Kind {
    TABLE_ADDED,
    TABLE_REMOVED,
    COLUMN_ADDED,
    COLUMN_REMOVED,
    TYPE_CHANGED,
    NULLABILITY_CHANGED,
    /** an enum's labels changed (its {@code v.union} no longer matches) */
    ENUM_VALUES_CHANGED,
    PRIMARY_KEY_CHANGED,
    RELATION_ADDED,
    RELATION_CHANGED
  }

  /**
   * One change.
   *
   * @param table {@code schema.table}
   * @param column the Postgres column(s), or null for a table-level change
   * @param before the mapping's side (type, nullability, key...), or null
   * @param after the catalog's side, or null
   */
  public record Change(Kind kind, String table, String column, String before, String after) {
    /** One readable line. */
    public String describe() {
      String what = column == null ? table : table + "." + column;
      return switch (kind) {
        case TABLE_ADDED -> "table " + what + " is listed but not in the mapping";
        case TABLE_REMOVED -> "table " + what + " no longer exists";
        case COLUMN_ADDED ->
            "column "
                + what
                + " was added ("
                + after
                + "): not copied until the schema is regenerated";
        case COLUMN_REMOVED -> "column " + what + " no longer exists (was " + before + ")";
        case TYPE_CHANGED -> "column " + what + " changed type from " + before + " to " + after;
        case NULLABILITY_CHANGED -> "column " + what + " changed from " + before + " to " + after;
        case ENUM_VALUES_CHANGED ->
            "column " + what + " enum values changed from " + before + " to " + after;
        case PRIMARY_KEY_CHANGED ->
            "table " + what + " primary key changed from " + before + " to " + after;
        case RELATION_ADDED -> "foreign key " + what + " -> " + after + " was added";
        case RELATION_CHANGED ->
            "foreign key " + what + " now references " + after + " instead of " + before;
      };
    }
  }

  private final List<Change> changes;

  private SchemaDiff(List<Change> changes) {
    this.changes = List.copyOf(changes);
  }

  /**
   * Compares the catalog with {@code mapping}.
   *
   * @param connection borrowed, not closed
   * @param tables tables expected to be captured ({@code [schema.]table}); those missing from the
   *     mapping are {@link Kind#TABLE_ADDED}; may be empty
   */
  public static SchemaDiff compare(Connection connection, Mapping mapping, List<String> tables)
      throws SQLException {
    CatalogQueries reader = new CatalogQueries(connection);
    List<Change> out = new ArrayList<>();
    for (String t : tables) {
      String[] p = t.contains(".") ? t.split("\\.", 2) : new String[] {"public", t};
      if (mapping.bySource(p[0], p[1]).isEmpty() && reader.lookup(p[0], p[1]) != null) {
        out.add(new Change(Kind.TABLE_ADDED, p[0] + "." + p[1], null, null, null));
      }
    }
    for (TableMapping t : mapping.tables()) {
      TableRef ref = reader.lookup(t.schema(), t.table());
      if (ref == null) {
        out.add(new Change(Kind.TABLE_REMOVED, t.qualifiedName(), null, null, null));
        continue;
      }
      compareTable(t, reader.readTable(ref), mapping, out);
    }
    return new SchemaDiff(out);
  }

  private static void compareTable(TableMapping t, Raw raw, Mapping mapping, List<Change> out) {
    String q = t.qualifiedName();
    Map<String, ColumnMapping> mapped =
        t.columns().stream().collect(Collectors.toMap(ColumnMapping::column, c -> c));
    Set<String> known = new HashSet<>(mapped.keySet());
    known.addAll(t.relationColumns());
    known.addAll(t.excludedColumns());
    known.addAll(t.primaryKey());
    for (RawColumn c : raw.columns.values()) {
      if (!known.contains(c.name) && !c.generated) {
        out.add(new Change(Kind.COLUMN_ADDED, q, c.name, null, describe(c.formatted, c.nullable)));
      }
    }
    for (String c : known) {
      if (!raw.columns.containsKey(c) && !t.excludedColumns().contains(c)) {
        ColumnMapping m = mapped.get(c);
        out.add(
            new Change(
                Kind.COLUMN_REMOVED,
                q,
                c,
                m == null ? "a key or relation column" : describe(m.pgType(), m.nullable()),
                null));
      }
    }
    for (ColumnMapping m : t.columns()) {
      RawColumn c = raw.columns.get(m.column());
      if (c == null) {
        continue;
      }
      if (m.pgType() != null && !m.pgType().equals(c.formatted)) {
        out.add(new Change(Kind.TYPE_CHANGED, q, m.column(), m.pgType(), c.formatted));
      }
      if (m.enumValues() != null && c.enumValues != null && !m.enumValues().equals(c.enumValues)) {
        out.add(
            new Change(
                Kind.ENUM_VALUES_CHANGED,
                q,
                m.column(),
                String.join(",", m.enumValues()),
                String.join(",", c.enumValues)));
      }
      if (m.nullable() != c.nullable) {
        out.add(
            new Change(
                Kind.NULLABILITY_CHANGED,
                q,
                m.column(),
                nullity(m.nullable()),
                nullity(c.nullable)));
      }
    }
    for (RelationMapping r : t.relations()) {
      for (String col : r.columns()) {
        RawColumn c = raw.columns.get(col);
        // an optional relation stays valid either way; a required one breaks on NULLs
        if (c != null && c.nullable && !r.optional()) {
          out.add(new Change(Kind.NULLABILITY_CHANGED, q, col, nullity(false), nullity(true)));
        }
      }
    }
    // configured key columns stand for a primary key the table does not have; one added later is
    // a change (the key the pipeline runs on is no longer the table's)
    boolean configuredStill = t.configuredKey() && raw.primaryKey.isEmpty();
    if (!configuredStill && !raw.primaryKey.equals(t.primaryKey())) {
      out.add(
          new Change(
              Kind.PRIMARY_KEY_CHANGED,
              q,
              null,
              String.join(",", t.primaryKey()),
              String.join(",", raw.primaryKey)));
    }
    for (RawFk fk : raw.fks) {
      String[] p = fk.parent().split("\\.", 2);
      if (mapping.bySource(p[0], p[1]).isEmpty()) {
        continue; // a reference to a table not captured is copied as plain values, as intended
      }
      RelationMapping r =
          t.relations().stream()
              .filter(x -> x.columns().equals(fk.columns()))
              .findFirst()
              .orElse(null);
      String cols = String.join("+", fk.columns());
      if (r == null) {
        out.add(new Change(Kind.RELATION_ADDED, q, cols, null, fk.parent()));
      } else {
        String before =
            mapping
                .byTarget(r.parentTable())
                .map(TableMapping::qualifiedName)
                .orElse(r.parentTable());
        if (!before.equals(fk.parent())) {
          out.add(new Change(Kind.RELATION_CHANGED, q, cols, before, fk.parent()));
        }
      }
    }
  }

  private static String describe(String type, boolean nullable) {
    return type + (nullable ? " NULL" : " NOT NULL");
  }

  private static String nullity(boolean nullable) {
    return nullable ? "NULL" : "NOT NULL";
  }

  /** The changes, tables in mapping order. */
  public List<Change> changes() {
    return changes;
  }

  public boolean isEmpty() {
    return changes.isEmpty();
  }

  /** The changes, one per line, or a sentence saying there are none. */
  public String text() {
    if (changes.isEmpty()) {
      return "No differences between the Postgres catalog and the mapping.";
    }
    return changes.size()
        + " difference(s) between the Postgres catalog and the mapping:"
        + System.lineSeparator()
        + changes.stream()
            .map(c -> "  - " + c.describe())
            .collect(Collectors.joining(System.lineSeparator()));
  }
}
