package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.MappingFile.ColumnConfig;
import dev.pgconvex.schema.MappingFile.IndexConfig;
import dev.pgconvex.schema.MappingFile.NamingStyle;
import dev.pgconvex.schema.MappingFile.Pos;
import dev.pgconvex.schema.MappingFile.RelationConfig;
import dev.pgconvex.schema.MappingFile.TableConfig;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the Postgres catalog of the captured tables into the {@link Mapping} the pipeline runs on:
 * names, types, primary keys, indexes, and foreign keys (declared ones, those declared alike on
 * every partition ({@link PartitionForeignKeys}), plus {@link RelationSpec}s and mapping-file
 * relations) as document-id relations. Foreign keys on a NOT NULL cycle (self references included)
 * are made optional, so one side can be written first and patched later. A {@link MappingFile}
 * adjusts names, types, relations and indexes.
 *
 * <p>Not thread-safe; one instance per read. The connection is borrowed, not closed.
 */
public final class CatalogReader {
  private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+)(?:,(\\d+))?\\)");

  /** Convex's limits (FACTS.md): fields per object, indexes per table, fields per index. */
  static final int MAX_FIELDS = 1024;

  static final int MAX_INDEXES = 32;
  static final int MAX_INDEX_FIELDS = 16;

  /**
   * Access methods whose indexes a Convex index can stand in for: lookups by equality or order of
   * plain values. GIN, GiST, SP-GiST, BRIN and extension methods work otherwise (containment,
   * overlap, distance, block ranges).
   */
  private static final Set<String> VALUE_INDEX_METHODS = Set.of("btree", "hash");

  /** The pipeline's own tables (convex/cdc/tables.ts). */
  private static final Set<String> CDC_TABLES =
      Set.of("cdc_keys", "cdc_checkpoints", "cdc_lineage");

  private final Connection connection;
  private final List<String> warnings = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  public CatalogReader(Connection connection) {
    this.connection = connection;
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
      raws.put(ref.qualified(), readTable(ref));
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
    Map<String, String> targets = targets(raws, file);
    Set<String> cyclic = cyclicEdges(raws);
    List<TableMapping> out = new ArrayList<>();
    for (Raw raw : raws.values()) {
      out.add(toMapping(raw, raws, targets, cyclic, file));
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
      TableRef ref = lookup(parts[0], parts[1]);
      if (ref == null) {
        problems.add(
            "table "
                + q
                + " does not exist (or is not a table); check the table list"
                + " and the database in the JDBC URL");
        continue;
      }
      if (ref.partitionOf != null) {
        listedPartitions.computeIfAbsent(ref.partitionOf, k -> new ArrayList<>()).add(ref.table);
        ref = ref.partitionOf;
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
      if (!hasUniqueIndexWithin(raw.oid, key)) {
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

  /** Whether a plain unique index on some of {@code columns} keeps them unique. */
  private boolean hasUniqueIndexWithin(long oid, List<String> columns) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = ? AND i.indisunique"
                + " AND i.indpred IS NULL AND i.indexprs IS NULL"
                + " AND ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k(attnum)"
                + "   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)"
                + "   <@ ?::text[])")) {
      ps.setLong(1, oid);
      ps.setArray(2, connection.createArrayOf("text", columns.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Checks the mapping file's references to tables and columns; adds its relations. */
  private void checkFileTables(MappingFile file, Map<String, Raw> raws) throws SQLException {
    for (TableConfig tc : file.tables()) {
      Raw raw = raws.get(tc.qualified());
      if (raw == null) {
        if (lookup(tc.schema(), tc.table()) == null) {
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
        if (!raws.containsKey(parent) && lookup(rc.parentSchema(), rc.parentTable()) == null) {
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

  /** The Convex table name of every captured table, checked for clashes. */
  private Map<String, String> targets(Map<String, Raw> raws, MappingFile file) {
    Map<String, String> targets = new LinkedHashMap<>();
    Map<String, String> owner = new HashMap<>();
    for (Raw raw : raws.values()) {
      TableConfig tc = file.table(raw.qualified());
      String target;
      if (tc != null && tc.target() != null) {
        target = tc.target();
        if (!Naming.isLegal(target)) {
          problems.add(
              tc.targetPos()
                  + ": target '"
                  + target
                  + "' is not a legal Convex table name ([A-Za-z][A-Za-z0-9_]*, at most 64 chars)");
        }
      } else {
        target =
            Naming.legal(style(raw.table, styleOf(tc, file)), "table " + raw.qualified(), warnings);
      }
      if (CDC_TABLES.contains(target)) {
        problems.add(
            "table "
                + raw.qualified()
                + ": target "
                + target
                + " is a table of the pipeline itself; give it another target in the mapping file");
      }
      String other = owner.putIfAbsent(target, raw.qualified());
      if (other != null) {
        problems.add(
            "tables "
                + other
                + " and "
                + raw.qualified()
                + " both become Convex table "
                + target
                + "; give one a target in the mapping file");
      }
      targets.put(raw.qualified(), target);
    }
    return targets;
  }

  private static NamingStyle styleOf(TableConfig tc, MappingFile file) {
    return tc != null && tc.naming() != null ? tc.naming() : file.naming();
  }

  private static String style(String name, NamingStyle style) {
    return style == NamingStyle.KEEP ? name : Naming.camel(name);
  }

  /** The table itself, or null when there is no such table (or partitioned table). */
  TableRef lookup(String schema, String table) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT c.oid, rn.nspname, r.relname, r.oid FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)"
                + " LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r','p')")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        TableRef root =
            rs.getString(2) == null
                ? null
                : new TableRef(rs.getLong(4), rs.getString(2), rs.getString(3), null);
        return new TableRef(rs.getLong(1), schema, table, root);
      }
    }
  }

  /** Reads one table's columns, primary key (empty when none) and indexes. */
  Raw readTable(TableRef ref) throws SQLException {
    long oid = ref.oid;
    Raw raw = new Raw(oid, ref.schema, ref.table);
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT relreplident FROM pg_class WHERE oid = ?")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          raw.replicaIdentity = rs.getString(1).charAt(0);
        }
      }
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated,"
                + " COALESCE(bt.typname, t.typname), COALESCE(bt.typtype, t.typtype),"
                + " COALESCE(bt.oid, t.oid), et.typname, et.typtype, et.oid,"
                + " format_type(COALESCE(bt.oid, t.oid), CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),"
                + " a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%'"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                + " LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype"
                + " LEFT JOIN pg_type et ON et.oid = COALESCE(bt.typelem, t.typelem) AND COALESCE(bt.typcategory, t.typcategory) = 'A'"
                + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          RawColumn c =
              new RawColumn(
                  rs.getString(1),
                  rs.getString(11),
                  !rs.getBoolean(3),
                  !rs.getString(4).isEmpty(),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getLong(7),
                  rs.getString(8),
                  rs.getString(9),
                  rs.getLong(10));
          c.autoIncrement = rs.getBoolean(12);
          raw.columns.put(c.name, c);
        }
      }
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          raw.primaryKey.add(rs.getString(1));
        }
      }
    }
    // conparentid = 0: a foreign key to a partitioned table has one clone per partition
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT con.conkey, con.confkey, pn.nspname, pc.relname FROM pg_constraint con"
                + " JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
                + " WHERE con.conrelid = ? AND con.contype = 'f' AND con.conparentid = 0"
                + " ORDER BY con.conname")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> cols = attNames(oid, rs.getArray(1));
          raw.fks.add(new RawFk(cols, rs.getString(3) + "." + rs.getString(4), null, null));
        }
      }
    }
    // keys declared on the partitions instead of the table (Pagila's payment)
    PartitionForeignKeys.read(connection, oid, raw);
    // Secondary indexes, in creation order, with what decides whether Convex has a form for them.
    // Full text: a key whose operator class takes tsvector, on a column or an expression.
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT ic.relname, i.indexprs IS NOT NULL OR i.indpred IS NOT NULL,"
                + " ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
                + "   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + "   WHERE k.ord <= i.indnkeyatts ORDER BY k.ord),"
                + " am.amname, EXISTS (SELECT 1 FROM unnest(i.indclass) oc(oid)"
                + "   JOIN pg_opclass o ON o.oid = oc.oid WHERE o.opcintype = 'tsvector'::regtype)"
                + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " JOIN pg_am am ON am.oid = ic.relam"
                + " WHERE i.indrelid = ? AND NOT i.indisprimary ORDER BY i.indexrelid")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          raw.indexes.add(
              new RawIndex(
                  rs.getString(1),
                  List.of((String[]) rs.getArray(3).getArray()),
                  rs.getBoolean(2),
                  rs.getString(4),
                  rs.getBoolean(5)));
        }
      }
    }
    for (RawColumn c : raw.columns.values()) {
      if ("e".equals(c.typtype)) {
        c.enumValues = enumLabels(c.typoid);
      } else if ("e".equals(c.elemTyptype)) {
        c.enumValues = enumLabels(c.elemOid);
      }
    }
    return raw;
  }

  private List<String> attNames(long relOid, Array nums) throws SQLException {
    List<String> out = new ArrayList<>();
    for (Object n : (Object[]) nums.getArray()) {
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT attname FROM pg_attribute WHERE attrelid = ? AND attnum = ?")) {
        ps.setLong(1, relOid);
        ps.setShort(2, ((Number) n).shortValue());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private List<String> enumLabels(long typoid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT enumlabel FROM pg_enum WHERE enumtypid = ? ORDER BY enumsortorder")) {
      ps.setLong(1, typoid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private TableMapping toMapping(
      Raw raw,
      Map<String, Raw> all,
      Map<String, String> targets,
      Set<String> cyclic,
      MappingFile file) {
    TableConfig tc = file.table(raw.qualified());
    NamingStyle style = styleOf(tc, file);
    Map<String, ColumnConfig> cfg = tc == null ? Map.of() : tc.columns();
    Set<String> excluded = new LinkedHashSet<>();
    cfg.values().stream()
        .filter(ColumnConfig::exclude)
        .forEach(
            cc -> {
              if (raw.primaryKey.contains(cc.column())) {
                problems.add(
                    cc.pos()
                        + ": column "
                        + raw.qualified()
                        + "."
                        + cc.column()
                        + " is part of the primary key and cannot be excluded");
              }
              excluded.add(cc.column());
            });
    List<RelationMapping> relations = new ArrayList<>();
    Set<String> relationColumns = new LinkedHashSet<>();
    Map<String, String> fieldOfColumn = new HashMap<>();
    for (RawFk fk : raw.fks) {
      Raw parent = all.get(fk.parent);
      String cols = String.join(",", fk.columns);
      if (fk.columns.stream().anyMatch(excluded::contains)) {
        warnings.add(
            "foreign key "
                + raw.qualified()
                + "("
                + cols
                + "): a column is excluded by the mapping file, so the relation is not copied");
        continue;
      }
      if (parent == null) {
        warnings.add(
            (fk.pos == null ? "" : fk.pos + ": ")
                + "foreign key "
                + raw.qualified()
                + "("
                + cols
                + ") references "
                + fk.parent
                + ", which is not captured: the column(s) are copied as plain values");
        continue;
      }
      if (parent.primaryKey.size() != fk.columns.size()) {
        problems.add(
            (fk.pos == null ? "" : fk.pos + ": ")
                + "relation "
                + raw.qualified()
                + "("
                + cols
                + ") -> "
                + fk.parent
                + ": "
                + fk.columns.size()
                + " column(s) but the parent key has "
                + parent.primaryKey.size());
        continue;
      }
      for (String c : fk.columns) {
        ColumnConfig cc = cfg.get(c);
        if (cc != null && (cc.type() != null || cc.validator() != null)) {
          problems.add(
              (cc.typePos() != null ? cc.typePos() : cc.validatorPos())
                  + ": column "
                  + raw.qualified()
                  + "."
                  + c
                  + " holds a relation to "
                  + fk.parent
                  + " (a v.id field); its type cannot be overridden");
        }
      }
      boolean nullable = fk.columns.stream().anyMatch(c -> raw.columns.get(c).nullable);
      boolean onCycle = cyclic.contains(raw.qualified() + "->" + fk.parent);
      String field;
      if (fk.field != null) {
        field = checkedName(fk.field, fk.pos, "field");
      } else if (fk.columns.size() == 1) {
        field = fieldName(raw, fk.columns.get(0), cfg.get(fk.columns.get(0)), style);
      } else {
        String base =
            style == NamingStyle.KEEP ? parent.table + "_id" : Naming.camel(parent.table) + "Id";
        field = Naming.legal(base, "column " + raw.qualified() + "." + fk.columns.get(0), warnings);
      }
      relations.add(
          new RelationMapping(field, fk.columns, targets.get(fk.parent), nullable || onCycle));
      relationColumns.addAll(fk.columns);
      fk.columns.forEach(c -> fieldOfColumn.put(c, field));
    }
    // A serial or identity key is replaced by Convex's _id; the source key lives on in the
    // pipeline's key table (and, with keepSourceId, in a field too).
    String surrogateKey =
        raw.primaryKey.size() == 1
                && raw.columns.get(raw.primaryKey.get(0)).autoIncrement
                && (tc == null || !tc.keepSourceId())
            ? raw.primaryKey.get(0)
            : null;
    List<ColumnMapping> columns = new ArrayList<>();
    List<String> excludedColumns = new ArrayList<>();
    for (RawColumn c : raw.columns.values()) {
      if (relationColumns.contains(c.name) || c.name.equals(surrogateKey)) {
        continue;
      }
      if (excluded.contains(c.name)) {
        excludedColumns.add(c.name);
        continue;
      }
      if (c.generated) {
        warnings.add(
            "column "
                + raw.qualified()
                + "."
                + c.name
                + " is generated: not copied (Convex stores"
                + " no computed fields; compute it in a query)");
        excludedColumns.add(c.name);
        continue;
      }
      ColumnConfig cc = cfg.get(c.name);
      Resolved type = resolve(raw, c, cc, file);
      if (type == null) {
        continue;
      }
      String field = fieldName(raw, c.name, cc, style);
      boolean keepEnum = cc == null || cc.type() == null;
      columns.add(
          new ColumnMapping(
              c.name,
              field,
              c.formatted,
              type.type,
              type.element,
              c.nullable,
              keepEnum ? c.enumValues : null,
              type.validator));
      fieldOfColumn.put(c.name, field);
    }
    checkFields(raw, relations, columns);
    Map<String, List<String>> indexes =
        indexes(raw, tc, relations, fieldOfColumn, surrogateKey == null);
    return new TableMapping(
        raw.schema,
        raw.table,
        targets.get(raw.qualified()),
        raw.primaryKey,
        columns,
        relations,
        indexes,
        excludedColumns,
        raw.configuredKey);
  }

  private String fieldName(Raw raw, String column, ColumnConfig cc, NamingStyle style) {
    if (cc != null && cc.name() != null) {
      return checkedName(cc.name(), cc.namePos(), "name");
    }
    return Naming.legal(style(column, style), "column " + raw.qualified() + "." + column, warnings);
  }

  private String checkedName(String name, Pos pos, String what) {
    if (!Naming.isLegal(name)) {
      problems.add(
          pos
              + ": "
              + what
              + " '"
              + name
              + "' is not a legal Convex field name ([A-Za-z][A-Za-z0-9_]*, at most 64 chars)");
    }
    return name;
  }

  private void checkFields(Raw raw, List<RelationMapping> relations, List<ColumnMapping> columns) {
    Map<String, String> seen = new HashMap<>();
    List<String[]> all = new ArrayList<>();
    relations.forEach(r -> all.add(new String[] {r.field(), String.join("+", r.columns())}));
    columns.forEach(c -> all.add(new String[] {c.field(), c.column()}));
    for (String[] f : all) {
      String other = seen.putIfAbsent(f[0], f[1]);
      if (other != null) {
        problems.add(
            "table "
                + raw.qualified()
                + ": columns "
                + other
                + " and "
                + f[1]
                + " both become field "
                + f[0]
                + "; rename one in the mapping file (columns: {"
                + f[1]
                + ": {name: ...}})");
      }
    }
    if (all.size() > MAX_FIELDS) {
      problems.add(
          "table "
              + raw.qualified()
              + " has "
              + all.size()
              + " fields; Convex allows "
              + MAX_FIELDS
              + ": exclude columns in the mapping file");
    }
  }

  /**
   * The table's Convex indexes: one per relation, one on a natural key, one per translatable
   * secondary index, then the mapping file's (renaming a derived index on the same fields).
   */
  private Map<String, List<String>> indexes(
      Raw raw,
      TableConfig tc,
      List<RelationMapping> relations,
      Map<String, String> fieldOfColumn,
      boolean naturalKey) {
    // keyed by the field list, so an index on the same fields is made once
    Map<List<String>, String> byFields = new LinkedHashMap<>();
    for (RelationMapping r : relations) {
      byFields.putIfAbsent(List.of(r.field()), Naming.indexName(List.of(r.field())));
    }
    if (naturalKey) {
      List<String> fields = fields(raw.primaryKey, fieldOfColumn);
      if (fields != null) {
        byFields.putIfAbsent(fields, Naming.indexName(fields));
      }
    }
    for (RawIndex ix : raw.indexes) {
      List<String> fields = fields(ix.columns, fieldOfColumn);
      String why = untranslatable(ix, fields);
      if (why != null) {
        warnings.add(
            "index "
                + raw.schema
                + "."
                + ix.name
                + " on "
                + raw.qualified()
                + " is not translated: "
                + why);
        continue;
      }
      byFields.putIfAbsent(fields, Naming.indexName(fields));
    }
    if (tc != null) {
      for (IndexConfig ic : tc.indexes()) {
        List<String> fields = fields(ic.columns(), fieldOfColumn);
        if (fields == null) {
          problems.add(
              ic.pos()
                  + ": index "
                  + ic.name()
                  + ": one of its columns is excluded or replaced by _id, so it is no field");
          continue;
        }
        if (!Naming.isLegalIndex(ic.name())) {
          problems.add(
              ic.pos()
                  + ": index name '"
                  + ic.name()
                  + "' is not legal in Convex ([A-Za-z][A-Za-z0-9_]*, at most 64 chars, not"
                  + " by_id or by_creation_time)");
        }
        byFields.put(fields, ic.name()); // renames a derived index on the same fields
      }
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    byFields.forEach(
        (fields, name) -> {
          if (out.putIfAbsent(name, fields) != null) {
            problems.add(
                "table "
                    + raw.qualified()
                    + ": two indexes are named "
                    + name
                    + "; name them apart in the mapping file");
          }
          if (fields.size() > MAX_INDEX_FIELDS) {
            problems.add(
                "table "
                    + raw.qualified()
                    + ": index "
                    + name
                    + " has "
                    + fields.size()
                    + " fields; Convex allows "
                    + MAX_INDEX_FIELDS);
          }
        });
    if (out.size() > MAX_INDEXES) {
      problems.add(
          "table "
              + raw.qualified()
              + " would get "
              + out.size()
              + " indexes; Convex allows "
              + MAX_INDEXES
              + ": drop some Postgres indexes from the translation");
    }
    return out;
  }

  /**
   * Why a Postgres index gets no Convex index, or null when it translates to one on {@code fields}.
   */
  private static String untranslatable(RawIndex ix, List<String> fields) {
    if (ix.fullText()) {
      return "it is a full-text (tsvector) index; Convex text search needs a searchIndex on a"
          + " string field instead, e.g. .searchIndex(\"search_<field>\", { searchField:"
          + " \"<field>\" }) on the text the tsvector is built from (add it to schema.ts: the"
          + " mapping file cannot declare one yet)";
    }
    String declare = " (declare one in the mapping file's indexes if needed)";
    if (ix.partialOrExpression()) {
      return "partial and expression indexes have no Convex form" + declare;
    }
    if (!VALUE_INDEX_METHODS.contains(ix.method())) {
      return "its access method "
          + ix.method()
          + " has no Convex counterpart: Convex indexes order documents by field values, as"
          + " btree does"
          + declare;
    }
    if (fields == null) {
      return "one of its columns is not copied" + declare;
    }
    return null;
  }

  /** The fields of {@code columns} (a relation's columns collapse into its one field), or null. */
  private static List<String> fields(List<String> columns, Map<String, String> fieldOfColumn) {
    List<String> out = new ArrayList<>();
    for (String c : columns) {
      String f = fieldOfColumn.get(c);
      if (f == null) {
        return null;
      }
      if (!out.contains(f)) {
        out.add(f);
      }
    }
    return out.isEmpty() ? null : out;
  }

  private record Resolved(FieldType type, FieldType element, String validator) {}

  /** The column's rule with the file's options and override applied, or null (a problem). */
  private Resolved resolve(Raw raw, RawColumn c, ColumnConfig cc, MappingFile file) {
    boolean array = c.elemTypname != null;
    String typname = array ? c.elemTypname : c.typname;
    String typtype = array ? c.elemTyptype : c.typtype;
    String formatted = array ? c.formatted.replace("[]", "") : c.formatted;
    FieldType base = scalar(typname, typtype, formatted);
    String override = cc == null ? null : cc.type();
    String validator = cc == null ? null : cc.validator();
    String name = raw.qualified() + "." + c.name;
    FieldType type;
    if (override == null) {
      type = base;
      if (type == null && validator != null) {
        type = FieldType.JSON;
      }
      if (type == FieldType.INT64 && file.bigint() == MappingFile.BigintMode.NUMBER) {
        type = FieldType.NUMBER;
      }
      if ((type == FieldType.TIMESTAMP_MS || type == FieldType.TIMESTAMPTZ_MS)
          && file.timestamps() == MappingFile.TimestampMode.ISO_STRING) {
        type = FieldType.TIMESTAMP_ISO_STRING;
      }
      if (type == null) {
        problems.add(
            "column "
                + name
                + " has type "
                + c.formatted
                + ", which has no Convex mapping: exclude the column or give it a type override"
                + " (string or json) in the mapping file, e.g. tables: {"
                + raw.table
                + ": {columns: {"
                + c.name
                + ": {type: json}}}}");
        return null;
      }
    } else {
      type = override(override, typname, typtype, base);
      if (type == null) {
        problems.add(
            cc.typePos()
                + ": column "
                + name
                + ": type "
                + override
                + " does not apply to Postgres type "
                + c.formatted
                + (array ? " (it applies to the array's elements)" : ""));
        return null;
      }
    }
    if (validator != null && type != FieldType.JSON) {
      problems.add(
          cc.validatorPos()
              + ": column "
              + name
              + ": a validator applies to json columns only (type: json)");
      return null;
    }
    return array
        ? new Resolved(FieldType.ARRAY, type, validator)
        : new Resolved(type, null, validator);
  }

  /** A type override's rule for a (non-array) Postgres type, or null when it does not apply. */
  static FieldType override(String override, String typname, String typtype, FieldType base) {
    boolean integer = Set.of("int2", "int4", "int8").contains(typname);
    boolean timestamp = typname.equals("timestamp") || typname.equals("timestamptz");
    return switch (override) {
      case "string" -> {
        if (typname.equals("numeric") || typname.equals("money")) {
          yield FieldType.DECIMAL_STRING;
        }
        if (base == null || typname.equals("json") || typname.equals("jsonb")) {
          yield FieldType.STRING;
        }
        yield base == FieldType.STRING
                || base == FieldType.DATE_STRING
                || base == FieldType.TIME_STRING
                || base == FieldType.INTERVAL_STRING
            ? base
            : null;
      }
      case "number" ->
          integer || Set.of("float4", "float8", "oid", "numeric", "money").contains(typname)
              ? FieldType.NUMBER
              : null;
      case "int64" -> integer ? FieldType.INT64 : null;
      case "json" -> base == null || base == FieldType.JSON ? FieldType.JSON : null;
      case "isoString" -> timestamp ? FieldType.TIMESTAMP_ISO_STRING : null;
      case "epochMs" ->
          typname.equals("timestamp")
              ? FieldType.TIMESTAMP_MS
              : typname.equals("timestamptz") ? FieldType.TIMESTAMPTZ_MS : null;
      default -> null;
    };
  }

  /** The rule for a non-array type, or null when there is none. */
  static FieldType scalar(String typname, String typtype, String formatted) {
    if ("e".equals(typtype)) {
      return FieldType.STRING;
    }
    switch (typname) {
      case "int2", "int4", "float4", "float8", "oid":
        return FieldType.NUMBER;
      case "int8":
        return FieldType.INT64;
      case "numeric":
        {
          Matcher m = NUMERIC.matcher(formatted);
          return m.find() && Integer.parseInt(m.group(1)) <= 15
              ? FieldType.NUMBER
              : FieldType.DECIMAL_STRING;
        }
      case "money":
        return FieldType.DECIMAL_STRING;
      case "bool":
        return FieldType.BOOLEAN;
      case "text",
      "varchar",
      "bpchar",
      "char",
      "name",
      "citext",
      "uuid",
      "inet",
      "cidr",
      "macaddr",
      "macaddr8",
      "xml",
      "ltree",
      "tsvector":
        return FieldType.STRING;
      case "json", "jsonb":
        return FieldType.JSON;
      case "bytea":
        return FieldType.BYTES;
      case "timestamp":
        return FieldType.TIMESTAMP_MS;
      case "timestamptz":
        return FieldType.TIMESTAMPTZ_MS;
      case "date":
        return FieldType.DATE_STRING;
      case "time", "timetz":
        return FieldType.TIME_STRING;
      case "interval":
        return FieldType.INTERVAL_STRING;
      default:
        return null;
    }
  }

  /**
   * Edges {@code child->parent} of required (NOT NULL) foreign keys that lie on a cycle, self loops
   * included.
   */
  private static Set<String> cyclicEdges(Map<String, Raw> raws) {
    Map<String, List<String>> graph = new HashMap<>();
    for (Raw r : raws.values()) {
      for (RawFk fk : r.fks) {
        boolean required =
            fk.columns.stream()
                .allMatch(c -> r.columns.containsKey(c) && !r.columns.get(c).nullable);
        if (required && raws.containsKey(fk.parent)) {
          graph.computeIfAbsent(r.qualified(), k -> new ArrayList<>()).add(fk.parent);
        }
      }
    }
    Set<String> out = new LinkedHashSet<>();
    for (var e : graph.entrySet()) {
      for (String parent : e.getValue()) {
        if (reaches(graph, parent, e.getKey(), new LinkedHashSet<>())) {
          out.add(e.getKey() + "->" + parent);
        }
      }
    }
    return out;
  }

  private static boolean reaches(
      Map<String, List<String>> graph, String from, String to, Set<String> seen) {
    if (from.equals(to)) {
      return true;
    }
    if (!seen.add(from)) {
      return false;
    }
    for (String next : graph.getOrDefault(from, List.of())) {
      if (reaches(graph, next, to, seen)) {
        return true;
      }
    }
    return false;
  }

  /** A table in the catalog; {@code partitionOf} is the root of a partition, else null. */
  record TableRef(long oid, String schema, String table, TableRef partitionOf) {
    String qualified() {
      return schema + "." + table;
    }
  }

  static final class Raw {
    final long oid;
    final String schema;
    final String table;
    // pg_class.relreplident: d default, f full, i index, n nothing
    char replicaIdentity = 'd';
    // primaryKey holds configured key columns (the table has no primary key)
    boolean configuredKey;
    final Map<String, RawColumn> columns = new LinkedHashMap<>();
    final List<String> primaryKey = new ArrayList<>();
    final List<RawFk> fks = new ArrayList<>();
    // keys some partitions declare, but not all alike: reported unless a relation is configured
    final List<PartitionForeignKeys.Undecided> undecidedFks = new ArrayList<>();
    final List<RawIndex> indexes = new ArrayList<>();

    Raw(long oid, String schema, String table) {
      this.oid = oid;
      this.schema = schema;
      this.table = table;
    }

    String qualified() {
      return schema + "." + table;
    }

    /** Adds a configured relation; it replaces a declared one on the same columns. */
    void addFk(RawFk fk) {
      fks.removeIf(f -> f.columns.equals(fk.columns));
      fks.add(fk);
    }
  }

  /**
   * A foreign key; {@code field} and {@code pos} are set for mapping-file relations.
   *
   * @param parent {@code schema.table}
   */
  record RawFk(List<String> columns, String parent, String field, Pos pos) {}

  /**
   * A secondary index.
   *
   * @param method the access method: btree, hash, gin, gist...
   * @param fullText whether a key is a tsvector (Postgres full-text search)
   */
  record RawIndex(
      String name,
      List<String> columns,
      boolean partialOrExpression,
      String method,
      boolean fullText) {}

  static final class RawColumn {
    final String name;
    final String formatted;
    final boolean nullable;
    final boolean generated;
    final String typname;
    final String typtype;
    final long typoid;
    final String elemTypname;
    final String elemTyptype;
    final long elemOid;
    List<String> enumValues;
    boolean autoIncrement;

    RawColumn(
        String name,
        String formatted,
        boolean nullable,
        boolean generated,
        String typname,
        String typtype,
        long typoid,
        String elemTypname,
        String elemTyptype,
        long elemOid) {
      this.name = name;
      this.formatted = formatted;
      this.nullable = nullable;
      this.generated = generated;
      this.typname = typname;
      this.typtype = typtype;
      this.typoid = typoid;
      this.elemTypname = elemTypname;
      this.elemTyptype = elemTyptype;
      this.elemOid = elemOid;
    }
  }
}
