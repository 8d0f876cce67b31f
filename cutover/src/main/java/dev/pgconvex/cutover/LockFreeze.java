package dev.pgconvex.cutover;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * {@link FreezeMode#LOCK}: one transaction on a connection of its own holds {@code LOCK TABLE ...
 * IN EXCLUSIVE MODE} on every captured table. Writers wait on the lock (their statements block,
 * they do not fail) and go on when it is released; reads are not blocked. When the process dies the
 * connection ends and Postgres releases the lock by itself.
 */
public final class LockFreeze implements Freeze {
  /** Opens a new connection. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector connector;
  private final List<QualifiedTable> tables;
  private volatile Connection held;

  public LockFreeze(Connector connector, List<QualifiedTable> tables) {
    this.connector = connector;
    this.tables = List.copyOf(tables);
    FreezeSql.lockTables(this.tables); // fails early without tables
  }

  @Override
  public FreezeMode mode() {
    return FreezeMode.LOCK;
  }

  @Override
  public String acquire(Duration timeout) throws CutoverException {
    Connection c = null;
    try {
      c = connector.open();
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(FreezeSql.lockTimeout(timeout));
        st.execute(FreezeSql.lockTables(tables));
      }
      held = c;
      return tables.size() + " tables locked (EXCLUSIVE): writers wait, reads go on";
    } catch (SQLException e) {
      closeQuietly(c);
      if ("55P03".equals(e.getSQLState())) {
        throw new CutoverException(
            "the tables could not be locked within "
                + timeout.toMillis()
                + " ms: a long transaction holds them (see pg_stat_activity); try again, or"
                + " raise --freeze-timeout-s");
      }
      throw new CutoverException("cannot lock the tables: Postgres: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized String release() {
    Connection c = held;
    held = null;
    if (c == null) {
      return null;
    }
    try {
      c.rollback();
      return null;
    } catch (SQLException e) {
      // Closing the connection ends the transaction all the same.
      return null;
    } finally {
      closeQuietly(c);
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the server ends the session, and with it the lock
      }
    }
  }
}
