package dev.pgconvex.cutover;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link FreezeMode#READ_ONLY}: {@code ALTER ROLE app IN DATABASE db SET
 * default_transaction_read_only = on} (or {@code ALTER DATABASE db} without a role), so new
 * transactions of the application refuse writes ({@code 25006 read_only_sql_transaction}). The
 * setting applies to new sessions only, so the freeze then waits up to the bound for the
 * application's open write transactions to end and ends the application's sessions (all of them: an
 * idle pooled session keeps its old default); their pools reconnect read only. The pipeline's own
 * sessions, walsenders and this connection are never ended.
 *
 * <p>The setting is marked ({@link FreezeSql#MARK}) and stays in the catalog when the process dies:
 * the next cutover or {@code ./cdc cutover --abort} undoes it ({@link #undoLeftovers}). Release
 * resets it and ends the idle sessions that connected during the freeze, so they reconnect
 * writable.
 *
 * <p>Not a security boundary: a client can {@code SET default_transaction_read_only = off}.
 */
public final class ReadOnlyFreeze implements Freeze {
  private final LockFreeze.Connector connector;
  private final String role;
  private final String cutoverId;
  private FreezeSql.Target target;
  private volatile boolean held;
  private long frozenAtMs;

  /**
   * @param role the application's role, or null for the whole database
   * @param cutoverId the mark stored with the setting
   */
  public ReadOnlyFreeze(LockFreeze.Connector connector, String role, String cutoverId) {
    this.connector = connector;
    this.role = role;
    this.cutoverId = cutoverId;
  }

  @Override
  public FreezeMode mode() {
    return FreezeMode.READ_ONLY;
  }

  @Override
  public String acquire(Duration timeout) throws CutoverException {
    try (Connection c = connector.open();
        Statement st = c.createStatement()) {
      writable(st);
      try (ResultSet rs = st.executeQuery("SELECT current_database()")) {
        rs.next();
        target = new FreezeSql.Target(rs.getString(1), role);
      }
      frozenAtMs = System.currentTimeMillis();
      held = true;
      for (String sql : FreezeSql.readOnlyOn(target, cutoverId)) {
        st.execute(sql);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      int writers = countWriters(st);
      while (writers > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50); // polling pg_stat_activity: Postgres has no event for a session's end
        writers = countWriters(st);
      }
      int ended;
      try (ResultSet rs = st.executeQuery(FreezeSql.terminate(target, null))) {
        rs.next();
        ended = rs.getInt(1);
      }
      return target.describe()
          + " read only; "
          + ended
          + " sessions ended"
          + (writers > 0 ? " (" + writers + " with an open write transaction)" : "");
    } catch (SQLException e) {
      throw new CutoverException(
          "cannot make " + describe() + " read only: Postgres: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CutoverException("interrupted while waiting for the open write transactions", e);
    }
  }

  // This session's own default, which a freeze of its database or role would otherwise set.
  private static void writable(Statement st) throws SQLException {
    st.execute("SET default_transaction_read_only = off");
  }

  private int countWriters(Statement st) throws SQLException {
    int n = 0;
    try (ResultSet rs = st.executeQuery(FreezeSql.openWriters(target))) {
      while (rs.next()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public synchronized String release() {
    if (!held) {
      return null;
    }
    try (Connection c = connector.open();
        Statement st = c.createStatement()) {
      writable(st); // a session opened during a database-wide freeze starts read only
      for (String sql : FreezeSql.readOnlyOff(target)) {
        st.execute(sql);
      }
      held = false;
      try (ResultSet rs = st.executeQuery(FreezeSql.terminate(target, frozenAtMs))) {
        rs.next();
      }
      return null;
    } catch (SQLException e) {
      return "could not reset "
          + describe()
          + " ("
          + e.getMessage()
          + "): run ./cdc cutover --abort, or ALTER "
          + target.alterTarget()
          + " RESET default_transaction_read_only";
    }
  }

  private String describe() {
    return target != null ? target.describe() : role == null ? "the database" : "role " + role;
  }

  /**
   * Undoes every read-only freeze a cutover left behind in the catalog (its process died while
   * frozen).
   *
   * @return what was undone, one line each ({@code role app in database db (cutover c-...)})
   */
  public static List<String> undoLeftovers(Connection c) throws SQLException {
    List<String> undone = new ArrayList<>();
    List<String[]> found = new ArrayList<>();
    try (Statement st = c.createStatement()) {
      writable(st);
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(FreezeSql.LEFTOVERS)) {
      while (rs.next()) {
        found.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
      }
    }
    for (String[] f : found) {
      FreezeSql.Target t = new FreezeSql.Target(f[0], f[1]);
      try (Statement st = c.createStatement()) {
        for (String sql : FreezeSql.readOnlyOff(t)) {
          st.execute(sql);
        }
      }
      undone.add(t.describe() + " (cutover " + f[2].substring(FreezeSql.MARK.length() + 1) + ")");
    }
    return undone;
  }
}
