package dev.pgconvex.verify;

import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Position;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The verifier's reads of Postgres: counts, positions, the ordered scan and single keys. */
final class PostgresSide {
  private static final String XMIN = "__pgconvex_xmin";
  private static final String KEY = "__pgconvex_key";

  private PostgresSide() {}

  static long count(Connection c, TableMapping t) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + MirrorVerifier.qualified(t))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static StartPoint startPoint(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT pg_current_wal_lsn()::text, pg_current_snapshot()::text")) {
      rs.next();
      long lsn = Position.parseLsn(rs.getString(1));
      String[] snap = rs.getString(2).split(":", -1);
      long xmax = Long.parseLong(snap[1]) & 0xFFFFFFFFL;
      Set<Long> xip = new HashSet<>();
      if (snap.length > 2 && !snap[2].isEmpty()) {
        for (String x : snap[2].split(",")) {
          xip.add(Long.parseLong(x) & 0xFFFFFFFFL);
        }
      }
      return new StartPoint(lsn, xmax, xip);
    }
  }

  static long currentLsn(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return Position.parseLsn(rs.getString(1));
    }
  }

  /**
   * The whole table in source-key text order, byte by byte ({@code COLLATE "C"}), the order of
   * Convex's {@code by_table_key} index.
   */
  static String scanSql(TableMapping t, TableKey tk) {
    return "SELECT *, xmin::text AS \""
        + XMIN
        + "\", ("
        + tk.keyTextSql()
        + ") COLLATE \"C\" AS \""
        + KEY
        + "\" FROM "
        + MirrorVerifier.qualified(t)
        + " ORDER BY \""
        + KEY
        + "\"";
  }

  /** The row at the cursor of a {@link #scanSql} or {@link #readRows} result. */
  static PgRow row(TableMapping t, ResultSet rs) throws SQLException {
    String key = rs.getString(KEY);
    String own = MirrorVerifier.sourceKey(rs, t);
    if (!key.equals(own)) {
      throw new VerifyException(
          "table "
              + t.qualifiedName()
              + ": Postgres computes the source key "
              + key
              + " where the pipeline's is "
              + own
              + "; verify cannot order this table's keys");
    }
    return new PgRow(
        key,
        MirrorVerifier.columnsDoc(t, rs),
        MirrorVerifier.parentKeys(t, rs),
        Long.parseLong(rs.getString(XMIN)));
  }

  /** The rows of {@code keys} now (absent keys have no row). */
  static Map<String, PgRow> readRows(Connection c, TableMapping t, TableKey tk, List<String> keys)
      throws SQLException {
    Map<String, PgRow> out = new HashMap<>();
    List<String> valid = new ArrayList<>();
    for (String k : keys) {
      try {
        tk.values(k);
        valid.add(k);
      } catch (IllegalArgumentException e) {
        // a document whose key cannot be a row of this table: no row
      }
    }
    if (valid.isEmpty()) {
      return out;
    }
    String sql =
        "SELECT *, xmin::text AS \""
            + XMIN
            + "\", ("
            + tk.keyTextSql()
            + ") AS \""
            + KEY
            + "\" FROM "
            + MirrorVerifier.qualified(t)
            + " WHERE "
            + tk.inClause(valid.size());
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      for (String k : valid) {
        i = tk.bind(ps, i, k);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          PgRow row = row(t, rs);
          out.put(row.key(), row);
        }
      }
    }
    return out;
  }
}
