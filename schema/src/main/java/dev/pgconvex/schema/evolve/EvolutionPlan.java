package dev.pgconvex.schema.evolve;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.mapping.Widening;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A schema evolution of a running mirror, in the three steps Convex evolves a schema without
 * downtime (add the new field as optional, backfill, make it required and remove the old one): the
 * mapping the pipeline ran on ({@link #before}), the {@link #widened} one whose Convex schema
 * accepts the documents of both, and the {@link #narrowed} one, which is the live catalog's. Kept
 * beside the functions folder as {@code pgconvex.evolution.json}; the steps' states live in Convex
 * ({@code cdc_migrations}). Immutable.
 *
 * @param id the migration's id ({@code cdc_migrations.migration})
 * @param createdAt epoch ms
 * @param tables what changed, per table (tables without a change are not listed)
 * @param before the mapping the pipeline ran on
 * @param widened the mapping of the widen step
 * @param narrowed the mapping of the narrow step (the catalog's)
 */
public record EvolutionPlan(
    String id,
    long createdAt,
    List<TableChanges> tables,
    Mapping before,
    Mapping widened,
    Mapping narrowed) {
  /** The file name of a plan beside the functions folder's mapping. */
  public static final String FILE = "pgconvex.evolution.json";

  /** The steps, in order. */
  public enum Step {
    WIDEN,
    BACKFILL,
    NARROW;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** What a table's change events will look like, compared with the mapping before. */
  public enum Kind {
    ADDED,
    DROPPED,
    RENAMED,
    RETYPED,
    NULLABILITY
  }

  /**
   * One column change.
   *
   * @param column the column now (for {@link Kind#DROPPED}: the column before)
   * @param from for {@link Kind#RENAMED}: the old name; for RETYPED and NULLABILITY: the old type
   *     or nullability; else null
   * @param to the new type or nullability; for ADDED the type; else null
   * @param confirmed for RENAMED: the new column sits where the old one was in the catalog's order
   *     (an added column goes last), so it is not a drop and an add
   */
  public record Change(Kind kind, String column, String from, String to, boolean confirmed) {
    public String describe() {
      return switch (kind) {
        case ADDED -> "`" + column + "` added (" + to + ")";
        case DROPPED -> "`" + column + "` gone";
        case RENAMED ->
            "`"
                + from
                + "` gone and `"
                + column
                + "` added: renamed"
                + (confirmed ? " (it sits where `" + from + "` was)" : "?");
        case RETYPED -> "`" + column + "` retyped from " + from + " to " + to;
        case NULLABILITY -> "`" + column + "` from " + from + " to " + to;
      };
    }
  }

  /** The changes of one table. */
  public record TableChanges(String table, String target, List<Change> changes) {
    public TableChanges {
      changes = List.copyOf(changes);
    }

    public String describe() {
      return table + ": " + String.join(", ", changes.stream().map(Change::describe).toList());
    }
  }

  public EvolutionPlan {
    Objects.requireNonNull(id, "id");
    tables = List.copyOf(tables);
  }

  /**
   * Plans the evolution from {@code before} (the mapping the pipeline runs on) to {@code now} (the
   * live catalog's mapping, read with the same options).
   *
   * @throws IllegalArgumentException when the table set, keys or relations differ: evolve changes
   *     columns only (a table to add is a {@code ./cdc run} with the new table list)
   */
  public static EvolutionPlan of(String id, long createdAt, Mapping before, Mapping now) {
    List<String> problems = new ArrayList<>();
    Map<String, TableMapping> b = before.bySource();
    for (TableMapping t : now.tables()) {
      TableMapping old = b.get(t.qualifiedName());
      if (old == null) {
        problems.add("table " + t.qualifiedName() + " is not in the running mapping");
      } else if (!old.primaryKey().equals(t.primaryKey())) {
        problems.add("table " + t.qualifiedName() + " has another primary key " + t.primaryKey());
      } else if (!old.relations().equals(t.relations())) {
        problems.add(
            "table " + t.qualifiedName() + " has other foreign keys (a relation column changed)");
      }
    }
    for (TableMapping t : before.tables()) {
      if (now.bySource(t.schema(), t.table()).isEmpty()) {
        problems.add("table " + t.qualifiedName() + " is no longer captured");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          String.join("; ", problems)
              + ": ./cdc schema evolve changes columns only; restart the pipeline with the new"
              + " table list for the rest");
    }
    List<TableChanges> changed = new ArrayList<>();
    List<TableMapping> widened = new ArrayList<>();
    List<TableMapping> narrowed = new ArrayList<>();
    for (TableMapping t : now.tables()) {
      TableMapping old = b.get(t.qualifiedName());
      // The old mapping's widening is over once planned anew: compare with its own columns.
      TableMapping base = old.widening() == null ? old : old.withColumns(old.columns(), null);
      List<Change> changes = changes(base, t);
      narrowed.add(t.withColumns(t.columns(), null));
      if (changes.isEmpty()) {
        widened.add(t.withColumns(t.columns(), null));
        continue;
      }
      changed.add(new TableChanges(t.qualifiedName(), t.target(), changes));
      widened.add(widen(id, base, t));
    }
    return new EvolutionPlan(
        id, createdAt, changed, before, new Mapping(widened), new Mapping(narrowed));
  }

  /** True when the catalog matches the running mapping: nothing to evolve. */
  @JsonIgnore
  public boolean isEmpty() {
    return tables.isEmpty();
  }

  /** The mapping of a step: widened for widen and backfill, narrowed for narrow. */
  public Mapping mappingOf(Step step) {
    return step == Step.NARROW ? narrowed : widened;
  }

  /** The changed tables' {@code schema.table} names. */
  @JsonIgnore
  public List<String> tableNames() {
    return tables.stream().map(TableChanges::table).toList();
  }

  public String toJson() {
    return Json.write(this);
  }

  public static EvolutionPlan fromJson(String json) {
    try {
      return Json.MAPPER.readValue(json, EvolutionPlan.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("not an evolution plan: " + e.getMessage(), e);
    }
  }

  public void write(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, toJson());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  public static EvolutionPlan read(Path file) {
    try {
      return fromJson(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }

  private static List<Change> changes(TableMapping before, TableMapping now) {
    Map<String, ColumnMapping> old = byColumn(before.columns());
    Map<String, ColumnMapping> cur = byColumn(now.columns());
    List<ColumnMapping> gone =
        before.columns().stream().filter(c -> !cur.containsKey(c.column())).toList();
    List<ColumnMapping> added =
        now.columns().stream().filter(c -> !old.containsKey(c.column())).toList();
    List<Change> out = new ArrayList<>();
    Set<String> renamedFrom = new LinkedHashSet<>();
    Set<String> renamedTo = new LinkedHashSet<>();
    // A rename shows as one column gone and one of the same type added; one of each only, else
    // which went where is a guess.
    if (gone.size() == 1 && added.size() == 1 && sameType(gone.get(0), added.get(0))) {
      ColumnMapping g = gone.get(0);
      ColumnMapping a = added.get(0);
      boolean inPlace =
          survivorsBefore(before, g.column(), cur) == survivorsBefore(now, a.column(), old);
      out.add(new Change(Kind.RENAMED, a.column(), g.column(), null, inPlace));
      renamedFrom.add(g.column());
      renamedTo.add(a.column());
    }
    for (ColumnMapping g : gone) {
      if (!renamedFrom.contains(g.column())) {
        out.add(new Change(Kind.DROPPED, g.column(), null, null, false));
      }
    }
    for (ColumnMapping a : added) {
      if (!renamedTo.contains(a.column())) {
        out.add(new Change(Kind.ADDED, a.column(), null, a.pgType(), false));
      }
    }
    for (ColumnMapping c : now.columns()) {
      ColumnMapping o = old.get(c.column());
      if (o == null) {
        continue;
      }
      if (!sameType(o, c)) {
        out.add(new Change(Kind.RETYPED, c.column(), o.pgType(), c.pgType(), false));
      } else if (o.nullable() != c.nullable()) {
        out.add(
            new Change(
                Kind.NULLABILITY, c.column(), nullity(o.nullable()), nullity(c.nullable()), false));
      } else if (!o.field().equals(c.field())) {
        // a field renamed in the mapping file: the old field retires, the new one is backfilled
        out.add(new Change(Kind.RENAMED, c.column(), c.column(), null, true));
      }
    }
    return out;
  }

  // How many of the columns both mappings share come before `column` in `t`'s order.
  private static int survivorsBefore(
      TableMapping t, String column, Map<String, ColumnMapping> other) {
    int n = 0;
    for (ColumnMapping c : t.columns()) {
      if (c.column().equals(column)) {
        return n;
      }
      if (other.containsKey(c.column())) {
        n++;
      }
    }
    return n;
  }

  private static TableMapping widen(String id, TableMapping before, TableMapping now) {
    Map<String, ColumnMapping> old = byColumn(before.columns());
    List<String> added = new ArrayList<>();
    List<ColumnMapping> retired = new ArrayList<>();
    List<ColumnMapping> columns = new ArrayList<>();
    for (ColumnMapping c : now.columns()) {
      ColumnMapping o = old.get(c.column());
      if (o == null || !sameType(o, c) || !o.field().equals(c.field())) {
        added.add(c.column());
        if (o != null) {
          retired.add(o);
        }
      }
      boolean nullable = c.nullable() || (o != null && o.nullable());
      columns.add(
          nullable == c.nullable()
              ? c
              : new ColumnMapping(
                  c.column(),
                  c.field(),
                  c.pgType(),
                  c.type(),
                  c.elementType(),
                  true,
                  c.enumValues(),
                  c.validatorOverride()));
    }
    Map<String, ColumnMapping> cur = byColumn(now.columns());
    for (ColumnMapping o : before.columns()) {
      if (!cur.containsKey(o.column())) {
        retired.add(o);
      }
    }
    return now.withColumns(columns, new Widening(id, added, retired));
  }

  private static boolean sameType(ColumnMapping a, ColumnMapping b) {
    return a.type() == b.type()
        && Objects.equals(a.elementType(), b.elementType())
        && Objects.equals(a.enumValues(), b.enumValues())
        && Objects.equals(a.validatorOverride(), b.validatorOverride());
  }

  private static Map<String, ColumnMapping> byColumn(List<ColumnMapping> columns) {
    Map<String, ColumnMapping> m = new HashMap<>();
    columns.forEach(c -> m.put(c.column(), c));
    return m;
  }

  private static String nullity(boolean nullable) {
    return nullable ? "NULL" : "NOT NULL";
  }
}
