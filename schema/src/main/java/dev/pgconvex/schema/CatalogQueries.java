package dev.pgconvex.schema;

import dev.pgconvex.schema.MappingFile.Pos;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalog queries of {@link CatalogReader} and {@link SchemaDiff}: a table's columns (types,
 * nullability, generated, serial or identity), primary key, replica identity, foreign keys and
 * secondary indexes, read into plain records ({@link Raw} and its parts). No translation rules
 * here. Not thread-safe; the connection is borrowed, not closed.
 */
final class CatalogQueries {
  private final Connection connection;

  CatalogQueries(Connection connection) {
    this.connection = connection;
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

  /** Whether a plain unique index on some of {@code columns} keeps them unique. */
  boolean hasUniqueIndexWithin(long oid, List<String> columns) throws SQLException {
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
