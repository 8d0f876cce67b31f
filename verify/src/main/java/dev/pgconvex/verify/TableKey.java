package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.TableMapping;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The primary key of a verified table, as SQL: the source key text computed by Postgres (so both
 * sides can be walked in the same order, that of Convex's {@code by_table_key} index: the key text,
 * byte by byte), a condition selecting given keys, and the same condition as literals for a resync
 * signal. Supports the key column types whose source key text Postgres can produce exactly:
 * integers, numeric, text, varchar, uuid and date.
 */
final class TableKey {
  enum Kind {
    INT,
    NUMERIC,
    TEXT,
    UUID,
    DATE
  }

  record Column(String name, Kind kind) {}

  private final TableMapping table;
  private final List<Column> columns;

  private TableKey(TableMapping table, List<Column> columns) {
    this.table = table;
    this.columns = List.copyOf(columns);
  }

  /**
   * Reads the key column types of {@code t} from the catalog.
   *
   * @throws VerifyException when the table is missing, has no primary key, or a key column's type
   *     is not supported
   */
  static TableKey read(Connection c, TableMapping t) throws SQLException {
    if (t.primaryKey().isEmpty()) {
      throw new VerifyException(
          "table " + t.qualifiedName() + " has no primary key: verify compares rows by key");
    }
    Map<String, String> types = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
      ps.setString(1, MirrorVerifier.qualified(t));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          types.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    if (types.isEmpty()) {
      throw new VerifyException("table " + t.qualifiedName() + " does not exist in Postgres");
    }
    List<Column> cols = new ArrayList<>();
    for (String k : t.primaryKey()) {
      String type = types.get(k);
      if (type == null) {
        throw new VerifyException(
            "table " + t.qualifiedName() + " has no column " + k + " of its primary key");
      }
      Kind kind =
          switch (type) {
            case "int2", "int4", "int8" -> Kind.INT;
            case "numeric" -> Kind.NUMERIC;
            case "text", "varchar" -> Kind.TEXT;
            case "uuid" -> Kind.UUID;
            case "date" -> Kind.DATE;
            default ->
                throw new VerifyException(
                    "table "
                        + t.qualifiedName()
                        + ": verify does not support primary-key column "
                        + k
                        + " of type "
                        + type
                        + " (supported: integers, numeric, text, varchar, uuid, date)");
          };
      cols.add(new Column(k, kind));
    }
    return new TableKey(t, cols);
  }

  List<Column> columns() {
    return columns;
  }

  /** SQL of the source key text of a row (as {@code SourceKey} writes it). */
  String keyTextSql() {
    StringJoiner j = new StringJoiner(" || ',' || ", "'[' || ", " || ']'");
    for (Column c : columns) {
      String q = MirrorVerifier.quote(c.name());
      j.add(
          switch (c.kind()) {
            case INT -> q + "::text";
            case NUMERIC, TEXT, UUID -> "to_json(" + q + "::text)::text";
            case DATE -> "(" + q + " - DATE '1970-01-01')::text";
          });
    }
    return j.toString();
  }

  /** {@code ("a", "b") IN ((?, ?), ...)} for {@code n} keys; bind with {@link #bind}. */
  String inClause(int n) {
    StringJoiner cols = new StringJoiner(", ", "(", ")");
    StringJoiner one = new StringJoiner(", ", "(", ")");
    for (Column c : columns) {
      cols.add(MirrorVerifier.quote(c.name()));
      one.add(
          switch (c.kind()) {
            case INT -> "?::int8";
            case NUMERIC -> "?::numeric";
            case TEXT -> "?::text";
            case UUID -> "?::uuid";
            case DATE -> "DATE '1970-01-01' + ?::int";
          });
    }
    StringJoiner all = new StringJoiner(", ", cols + " IN (", ")");
    for (int i = 0; i < n; i++) {
      all.add(one.toString());
    }
    return all.toString();
  }

  /** Binds the values of {@code key} from parameter {@code index}; returns the next index. */
  int bind(PreparedStatement ps, int index, String key) throws SQLException {
    List<String> values = values(key);
    for (String v : values) {
      ps.setString(index++, v);
    }
    return index;
  }

  /** The same condition as {@link #inClause} with the keys written as SQL literals. */
  String literalCondition(List<String> keys) {
    StringJoiner cols = new StringJoiner(", ", "(", ")");
    columns.forEach(c -> cols.add(MirrorVerifier.quote(c.name())));
    StringJoiner all = new StringJoiner(", ", cols + " IN (", ")");
    for (String key : keys) {
      List<String> values = values(key);
      StringJoiner one = new StringJoiner(", ", "(", ")");
      for (int i = 0; i < columns.size(); i++) {
        String v = values.get(i);
        String lit = "'" + v.replace("'", "''") + "'";
        one.add(
            switch (columns.get(i).kind()) {
              case INT -> lit + "::int8";
              case NUMERIC -> lit + "::numeric";
              case TEXT -> lit;
              case UUID -> lit + "::uuid";
              case DATE -> "DATE '1970-01-01' + " + lit + "::int";
            });
      }
      all.add(one.toString());
    }
    return all.toString();
  }

  /** The column values of a source key, as text; rejects a key that is not one of this table. */
  List<String> values(String key) {
    JsonNode arr;
    try {
      arr = Json.parse(key);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a source key of " + table.target() + ": " + key);
    }
    if (!arr.isArray() || arr.size() != columns.size()) {
      throw new IllegalArgumentException("not a source key of " + table.target() + ": " + key);
    }
    List<String> out = new ArrayList<>(arr.size());
    for (JsonNode e : arr) {
      out.add(e.isTextual() ? e.textValue() : e.asText());
    }
    return out;
  }
}
