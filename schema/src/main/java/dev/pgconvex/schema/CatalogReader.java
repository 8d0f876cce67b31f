package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
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
 * names, types, primary keys, and foreign keys (declared ones plus {@link RelationSpec}s) as
 * document-id relations. Foreign keys on a NOT NULL cycle (self references included) are made
 * optional, so one side can be written first and patched later.
 *
 * <p>Not thread-safe; one instance per read. The connection is borrowed, not closed.
 */
public final class CatalogReader {
  private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+)(?:,(\\d+))?\\)");

  private final Connection connection;
  private final List<String> warnings = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  public CatalogReader(Connection connection) {
    this.connection = connection;
  }

  /**
   * Warnings of the last {@link #read}: renames, skipped columns, relations to tables not captured.
   */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  /**
   * Reads the mapping of {@code tables}.
   *
   * @param tables {@code schema.table} or {@code table} (schema {@code public})
   * @param extraRelations relations not declared in the catalog
   * @throws CatalogException listing every table or column that cannot be mapped
   */
  public Mapping read(List<String> tables, List<RelationSpec> extraRelations) throws SQLException {
    warnings.clear();
    problems.clear();
    Map<String, Raw> raws = new LinkedHashMap<>();
    for (String t : tables) {
      String[] parts = t.contains(".") ? t.split("\\.", 2) : new String[] {"public", t};
      Raw raw = readTable(parts[0], parts[1]);
      if (raw != null) {
        raws.put(raw.qualified(), raw);
      }
    }
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
      child.fks.add(new RawFk(spec.columns(), spec.parentSchema() + "." + spec.parentTable()));
    }
    if (!problems.isEmpty()) {
      throw new CatalogException(problems);
    }
    Set<String> cyclic = cyclicEdges(raws);
    List<TableMapping> out = new ArrayList<>();
    for (Raw raw : raws.values()) {
      out.add(toMapping(raw, raws, cyclic));
    }
    if (!problems.isEmpty()) {
      throw new CatalogException(problems);
    }
    return new Mapping(out);
  }

  private Raw readTable(String schema, String table) throws SQLException {
    Long oid = null;
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r','p')")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          oid = rs.getLong(1);
        }
      }
    }
    if (oid == null) {
      problems.add(
          "table "
              + schema
              + "."
              + table
              + " does not exist (or is not a table); check the table list"
              + " and the database in the JDBC URL");
      return null;
    }
    Raw raw = new Raw(schema, table);
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
    if (raw.primaryKey.isEmpty()) {
      problems.add(
          "table " + raw.qualified() + " has no primary key: add one, or configure a key for it");
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT con.conkey, con.confkey, pn.nspname, pc.relname FROM pg_constraint con"
                + " JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
                + " WHERE con.conrelid = ? AND con.contype = 'f' ORDER BY con.conname")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> cols = attNames(oid, rs.getArray(1));
          raw.fks.add(new RawFk(cols, rs.getString(3) + "." + rs.getString(4)));
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

  private TableMapping toMapping(Raw raw, Map<String, Raw> all, Set<String> cyclic) {
    String target = Naming.legal(Naming.camel(raw.table), "table " + raw.qualified(), warnings);
    List<RelationMapping> relations = new ArrayList<>();
    Set<String> relationColumns = new LinkedHashSet<>();
    for (RawFk fk : raw.fks) {
      Raw parent = all.get(fk.parent);
      if (parent == null) {
        warnings.add(
            "foreign key "
                + raw.qualified()
                + "("
                + String.join(",", fk.columns)
                + ") references "
                + fk.parent
                + ", which is not captured: the column(s) are copied as plain values");
        continue;
      }
      if (parent.primaryKey.size() != fk.columns.size()) {
        problems.add(
            "relation "
                + raw.qualified()
                + "("
                + String.join(",", fk.columns)
                + ") -> "
                + fk.parent
                + ": "
                + fk.columns.size()
                + " column(s) but the parent key has "
                + parent.primaryKey.size());
        continue;
      }
      boolean nullable = fk.columns.stream().anyMatch(c -> raw.columns.get(c).nullable);
      boolean onCycle = cyclic.contains(raw.qualified() + "->" + fk.parent);
      String field =
          fk.columns.size() == 1
              ? Naming.camel(fk.columns.get(0))
              : Naming.camel(parent.table) + "Id";
      field = Naming.legal(field, "column " + raw.qualified() + "." + fk.columns.get(0), warnings);
      String parentTarget =
          Naming.legal(
              Naming.camel(parent.table), "table " + parent.qualified(), new ArrayList<>());
      relations.add(new RelationMapping(field, fk.columns, parentTarget, nullable || onCycle));
      relationColumns.addAll(fk.columns);
    }
    // A serial or identity key is replaced by Convex's _id; the source key lives on in the
    // pipeline's key table.
    String surrogateKey =
        raw.primaryKey.size() == 1 && raw.columns.get(raw.primaryKey.get(0)).autoIncrement
            ? raw.primaryKey.get(0)
            : null;
    List<ColumnMapping> columns = new ArrayList<>();
    for (RawColumn c : raw.columns.values()) {
      if (relationColumns.contains(c.name) || c.name.equals(surrogateKey)) {
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
        continue;
      }
      FieldType type;
      FieldType element = null;
      if (c.elemTypname != null) {
        type = FieldType.ARRAY;
        element = scalar(c.elemTypname, c.elemTyptype, c.formatted.replace("[]", ""));
      } else {
        type = scalar(c.typname, c.typtype, c.formatted);
      }
      if (type == null || (type == FieldType.ARRAY && element == null)) {
        problems.add(
            "column "
                + raw.qualified()
                + "."
                + c.name
                + " has type "
                + c.formatted
                + ", which has no Convex mapping: exclude the column or give it a type override (string or json)"
                + " in the mapping file");
        continue;
      }
      String field =
          Naming.legal(Naming.camel(c.name), "column " + raw.qualified() + "." + c.name, warnings);
      columns.add(
          new ColumnMapping(c.name, field, c.formatted, type, element, c.nullable, c.enumValues));
    }
    return new TableMapping(raw.schema, raw.table, target, raw.primaryKey, columns, relations);
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

  private static final class Raw {
    final String schema;
    final String table;
    final Map<String, RawColumn> columns = new LinkedHashMap<>();
    final List<String> primaryKey = new ArrayList<>();
    final List<RawFk> fks = new ArrayList<>();

    Raw(String schema, String table) {
      this.schema = schema;
      this.table = table;
    }

    String qualified() {
      return schema + "." + table;
    }
  }

  private record RawFk(List<String> columns, String parent) {}

  private static final class RawColumn {
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
