package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.CatalogQueries.Raw;
import dev.pgconvex.schema.CatalogQueries.RawColumn;
import dev.pgconvex.schema.CatalogQueries.RawFk;
import dev.pgconvex.schema.CatalogQueries.TableRef;
import dev.pgconvex.schema.MappingFile.ColumnConfig;
import dev.pgconvex.schema.MappingFile.IndexConfig;
import dev.pgconvex.schema.MappingFile.Pos;
import dev.pgconvex.schema.MappingFile.RelationConfig;
import dev.pgconvex.schema.MappingFile.TableConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the Postgres catalog of the captured tables into the {@link Mapping} the pipeline runs on:
 * names, types, primary keys, indexes, and foreign keys (declared ones, those declared alike on
 * every partition ({@link PartitionForeignKeys}), plus {@link RelationSpec}s and mapping-file
 * relations) as document-id relations. Foreign keys on a NOT NULL cycle (self references included)
 * are made optional, so one side can be written first and patched later. A {@link MappingFile}
 * adjusts names, types, relations and indexes.
 *
 * <p>Here: which tables are captured, the mapping file's and the command line's references to the
 * catalog, configured keys, configured relations. The parts: {@link CatalogQueries} (catalog to
 * records), {@link TypeRules} (Postgres type to field type), {@link RelationGraph} (cycles), {@link
 * MappingBuilder} (records to table mappings).
 *
 * <p>Not thread-safe; one instance per read. The connection is borrowed, not closed.
 */
public final class CatalogReader {
  private final CatalogQueries catalog;
  private final List<String> warnings = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  public CatalogReader(Connection connection) {
    this.catalog = new CatalogQueries(connection);
  }

  /**
   * Warnings of the last {@link #read}: renames, skipped columns and indexes, partitions, relations
   * to tables not captured.
   */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  /**
   * Reads the mapping of {@code tables} with the catalog's defaults.
   *
   * @param tables {@code schema.table} or {@code table} (schema {@code public})
   * @param extraRelations relations not declared in the catalog
   * @throws CatalogException listing every table or column that cannot be mapped
   */
  public Mapping read(List<String> tables, List<RelationSpec> extraRelations) throws SQLException {
    return read(tables, extraRelations, MappingFile.EMPTY);
  }

  /**
   * Reads the mapping of {@code tables}, adjusted by {@code file}.
   *
   * @param tables {@code schema.table} or {@code table} (schema {@code public}); empty: the tables
   *     of the mapping file
   * @param extraRelations relations not declared in the catalog (command line)
   * @param file the user's mapping file; {@link MappingFile#EMPTY} for none
   * @throws CatalogException listing every problem; those of the mapping file start with their
   *     position {@code file:line:column}
   */
  public Mapping read(List<String> tables, List<RelationSpec> extraRelations, MappingFile file)
      throws SQLException {
    return read(tables, extraRelations, file, Map.of());
  }

  /**
   * Reads the mapping of {@code tables}, adjusted by {@code file}, with key columns given outside
   * the file for tables without a primary key.
   *
   * @param keys {@code schema.table} to its key columns in key order ({@code --key}, {@code
   *     source.key.columns}); a table may also have them in the file, then both must agree
   * @throws CatalogException listing every problem
   */
  public Mapping read(
      List<String> tables,
      List<RelationSpec> extraRelations,
      MappingFile file,
      Map<String, List<String>> keys)
      throws SQLException {
    warnings.clear();
    problems.clear();
    Map<String, Raw> raws = new LinkedHashMap<>();
    for (TableRef ref : capturedTables(tables, file)) {
      TableConfig tc = file.table(ref.qualified());
      if (tc != null && Boolean.FALSE.equals(tc.include())) {
        warnings.add(tc.pos() + ": table " + ref.qualified() + " is excluded by the mapping file");
        continue;
      }
      raws.put(ref.qualified(), catalog.readTable(ref));
    }
    checkFileTables(file, raws);
    applyKeys(raws, file, keys);
    for (RelationSpec spec : extraRelations) {
      Raw child = raws.get(spec.childSchema() + "." + spec.childTable());
      if (child == null) {
        problems.add(
            "relation "
                + spec.childTable()
                + "."
                + String.join("+", spec.columns())
                + ": table "
                + spec.childSchema()
                + "."
                + spec.childTable()
                + " is not captured; add it to the tables");
        continue;
      }
      for (String c : spec.columns()) {
        if (!child.columns.containsKey(c)) {
          problems.add(
              "relation "
                  + spec.childTable()
                  + "."
                  + c
                  + ": column "
                  + c
                  + " does not exist in "
                  + child.qualified());
        }
      }
      child.addFk(
          new RawFk(spec.columns(), spec.parentSchema() + "." + spec.parentTable(), null, null));
    }
    raws.values().forEach(raw -> warnings.addAll(PartitionForeignKeys.warnings(raw)));
    if (!problems.isEmpty()) {
      throw new CatalogException(problems);
    }
    MappingBuilder builder = new MappingBuilder(warnings, problems);
    Map<String, String> targets = builder.targets(raws, file);
    Set<String> cyclic = RelationGraph.cyclicEdges(raws);
    List<TableMapping> out = new ArrayList<>();
    for (Raw raw : raws.values()) {
      out.add(builder.toMapping(raw, raws, targets, cyclic, file));
    }
    if (!problems.isEmpty()) {
      throw new CatalogException(problems);
    }
    return new Mapping(out);
  }

  /**
   * The tables to capture, each once: a listed partition stands for its partitioned table, with one
   * warning per partitioned table however many of its partitions are listed (Pagila: 55).
   */
  private List<TableRef> capturedTables(List<String> tables, MappingFile file) throws SQLException {
    Set<TableRef> captured = new LinkedHashSet<>();
    Map<TableRef, List<String>> listedPartitions = new LinkedHashMap<>();
    for (String q : capturedNames(tables, file)) {
      String[] parts = split(q);
      TableRef ref = catalog.lookup(parts[0], parts[1]);
      if (ref == null) {
        problems.add(
            "table "
                + q
                + " does not exist (or is not a table); check the table list"
                + " and the database in the JDBC URL");
        continue;
      }
      if (ref.partitionOf() != null) {
        listedPartitions
            .computeIfAbsent(ref.partitionOf(), k -> new ArrayList<>())
            .add(ref.table());
        ref = ref.partitionOf();
      }
      captured.add(ref);
    }
    listedPartitions.forEach((root, names) -> warnings.add(partitionsWarning(root, names)));
    return List.copyOf(captured);
  }

  /** E.g. {@code table public.payment: 55 partitions mapped to one table (payment_p2022_01 ...}. */
  private static String partitionsWarning(TableRef root, List<String> partitions) {
    List<String> sorted = partitions.stream().sorted().toList();
    String names =
        sorted.size() <= 2
            ? String.join(", ", sorted)
            : sorted.get(0) + " ... " + sorted.get(sorted.size() - 1);
    return "table "
        + root.qualified()
        + ": "
        + sorted.size()
        + (sorted.size() == 1 ? " partition" : " partitions")
        + " mapped to one table ("
        + names
        + "); the whole table is captured, not just the listed partitions";
  }

  private List<String> capturedNames(List<String> tables, MappingFile file) {
    Set<String> names = new LinkedHashSet<>();
    if (tables.isEmpty()) {
      file.tables().stream()
          .filter(tc -> !Boolean.FALSE.equals(tc.include()))
          .forEach(tc -> names.add(tc.qualified()));
    } else {
      tables.forEach(t -> names.add(String.join(".", split(t))));
      file.tables().stream()
          .filter(tc -> Boolean.TRUE.equals(tc.include()))
          .forEach(tc -> names.add(tc.qualified()));
    }
    return List.copyOf(names);
  }

  private static String[] split(String table) {
    return table.contains(".") ? table.split("\\.", 2) : new String[] {"public", table};
  }

  /**
   * Gives each table without a primary key its configured key columns (file {@code key}, or {@code
   * keys}), checked: they exist, are NOT NULL, and the table has REPLICA IDENTITY FULL (else only a
   * warning: the source's preflight refuses to start). A table with neither is a problem.
   */
  private void applyKeys(Map<String, Raw> raws, MappingFile file, Map<String, List<String>> keys)
      throws SQLException {
    for (var e : keys.entrySet()) {
      if (!raws.containsKey(e.getKey())) {
        problems.add(
            "key columns of "
                + e.getKey()
                + ": the table is not captured; add it to the tables or drop its key");
      }
    }
    for (Raw raw : raws.values()) {
      TableConfig tc = file.table(raw.qualified());
      List<String> fromFile = tc == null ? null : tc.key();
      List<String> given = keys.get(raw.qualified());
      String where = fromFile != null ? tc.keyPos() + ": key of " : "key columns of ";
      if (fromFile != null && given != null && !fromFile.equals(given)) {
        problems.add(
            tc.keyPos()
                + ": key of "
                + raw.qualified()
                + " is "
                + fromFile
                + " here but "
                + given
                + " on the command line; give it once");
        continue;
      }
      List<String> key = fromFile != null ? fromFile : given;
      if (key == null) {
        if (raw.primaryKey.isEmpty()) {
          problems.add(
              "table "
                  + raw.qualified()
                  + " has no primary key: add one, or name its key columns (mapping file key:"
                  + " [col, ...], --key "
                  + raw.table
                  + "=col1,col2 or source.key.columns="
                  + raw.qualified()
                  + ":col1+col2) and run ALTER TABLE "
                  + raw.qualified()
                  + " REPLICA IDENTITY FULL");
        }
        continue;
      }
      if (!raw.primaryKey.isEmpty()) {
        if (!raw.primaryKey.equals(key)) {
          problems.add(
              where
                  + raw.qualified()
                  + ": the table has a primary key ("
                  + String.join(", ", raw.primaryKey)
                  + "), which is its key; key columns are for tables without one: drop them");
        }
        continue;
      }
      boolean ok = true;
      for (String c : key) {
        RawColumn col = raw.columns.get(c);
        if (col == null) {
          problems.add(where + raw.qualified() + ": " + noColumnText(c, raw));
          ok = false;
        } else if (col.nullable) {
          problems.add(
              where
                  + raw.qualified()
                  + ": column "
                  + c
                  + " is nullable, and a key column must not be NULL: run ALTER TABLE "
                  + raw.qualified()
                  + " ALTER COLUMN "
                  + c
                  + " SET NOT NULL, or choose other columns");
          ok = false;
        }
      }
      if (!ok) {
        continue;
      }
      raw.primaryKey.addAll(key);
      raw.configuredKey = true;
      if (raw.replicaIdentity != 'f') {
        warnings.add(
            "table "
                + raw.qualified()
                + " has no primary key and is not REPLICA IDENTITY FULL, so its updates and"
                + " deletes would carry no old values: run ALTER TABLE "
                + raw.qualified()
                + " REPLICA IDENTITY FULL before the pipeline starts (its preflight requires it)");
      }
      if (!catalog.hasUniqueIndexWithin(raw.oid, key)) {
        warnings.add(
            "table "
                + raw.qualified()
                + ": no unique index on its key ("
                + String.join(", ", key)
                + "), so Postgres does not keep it unique; rows with the same key become one"
                + " document (CREATE UNIQUE INDEX ON "
                + raw.qualified()
                + " ("
                + String.join(", ", key)
                + ") makes it safe)");
      }
    }
  }

  /** Checks the mapping file's references to tables and columns; adds its relations. */
  private void checkFileTables(MappingFile file, Map<String, Raw> raws) throws SQLException {
    for (TableConfig tc : file.tables()) {
      Raw raw = raws.get(tc.qualified());
      if (raw == null) {
        if (catalog.lookup(tc.schema(), tc.table()) == null) {
          problems.add(tc.pos() + ": table " + tc.qualified() + " does not exist");
        } else if (!Boolean.FALSE.equals(tc.include())) {
          warnings.add(
              tc.pos()
                  + ": table "
                  + tc.qualified()
                  + " is configured but not captured; add it to the tables to copy it");
        }
        continue;
      }
      for (ColumnConfig cc : tc.columns().values()) {
        if (!raw.columns.containsKey(cc.column())) {
          problems.add(noColumn(cc.pos(), cc.column(), raw));
        }
      }
      for (IndexConfig ic : tc.indexes()) {
        for (String c : ic.columns()) {
          if (!raw.columns.containsKey(c)) {
            problems.add(noColumn(ic.pos(), c, raw));
          }
        }
      }
      for (RelationConfig rc : tc.relations()) {
        boolean ok = true;
        for (String c : rc.columns()) {
          if (!raw.columns.containsKey(c)) {
            problems.add(noColumn(rc.pos(), c, raw));
            ok = false;
          }
        }
        String parent = rc.parentSchema() + "." + rc.parentTable();
        if (!raws.containsKey(parent)
            && catalog.lookup(rc.parentSchema(), rc.parentTable()) == null) {
          problems.add(
              rc.pos() + ": relation " + tc.table() + " -> " + parent + ": table does not exist");
          ok = false;
        }
        if (ok) {
          raw.addFk(new RawFk(rc.columns(), parent, rc.field(), rc.pos()));
        }
      }
    }
  }

  private static String noColumn(Pos pos, String column, Raw raw) {
    return pos + ": " + noColumnText(column, raw);
  }

  private static String noColumnText(String column, Raw raw) {
    return "column "
        + column
        + " does not exist in "
        + raw.qualified()
        + " (columns: "
        + String.join(", ", raw.columns.keySet())
        + ")";
  }
}
