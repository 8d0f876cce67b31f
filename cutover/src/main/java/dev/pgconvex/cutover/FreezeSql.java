package dev.pgconvex.cutover;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL of the freeze modes, built here only (pure; identifiers quoted, the few literals escaped)
 * so that it can be tested without a database.
 */
public final class FreezeSql {
  /**
   * The custom setting a read-only freeze stores beside {@code default_transaction_read_only}: its
   * value is the cutover id, so that a later cutover or {@code --abort} finds and undoes exactly
   * the freezes a cutover left behind, never a read-only setting someone made on purpose.
   */
  public static final String MARK = "pgconvex.cutover_freeze";

  /**
   * Sessions a freeze never ends: its own, non-client backends (walsenders, autovacuum) and the
   * pipeline's own connections ({@code ApplicationName} {@code pgconvex-*}, Debezium's).
   */
  static final String NOT_OURS =
      "pid <> pg_backend_pid() AND backend_type = 'client backend'"
          + " AND coalesce(application_name, '') NOT LIKE 'pgconvex%'"
          + " AND coalesce(application_name, '') NOT LIKE 'Debezium%'";

  private FreezeSql() {}

  /** An identifier, double-quoted ({@code "a""b"}). */
  public static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /** A string literal ({@code 'it''s'}). */
  public static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  /** {@code SET LOCAL lock_timeout}: how long the lock may wait for the writers before it. */
  public static String lockTimeout(Duration d) {
    return "SET LOCAL lock_timeout = '" + Math.max(1, d.toMillis()) + "ms'";
  }

  /**
   * One statement locking every table in {@code EXCLUSIVE} mode: conflicts with every write ({@code
   * ROW EXCLUSIVE}), not with reads ({@code ACCESS SHARE}); all tables at once, so the lock never
   * holds some tables while it waits for others.
   */
  public static String lockTables(List<QualifiedTable> tables) {
    if (tables.isEmpty()) {
      throw new IllegalArgumentException("no table to lock");
    }
    return "LOCK TABLE "
        + tables.stream().map(QualifiedTable::sql).collect(Collectors.joining(", "))
        + " IN EXCLUSIVE MODE";
  }

  /**
   * What a read-only freeze applies to: the application's role in this database, or the whole
   * database when {@code role} is null.
   *
   * @param database the database ({@code current_database()})
   * @param role the application's role, or null
   */
  public record Target(String database, String role) {
    /** {@code ROLE "app" IN DATABASE "db"} or {@code DATABASE "db"}, for {@code ALTER}. */
    public String alterTarget() {
      return role == null
          ? "DATABASE " + ident(database)
          : "ROLE " + ident(role) + " IN DATABASE " + ident(database);
    }

    /** Words for the report: {@code role app in database db}. */
    public String describe() {
      return role == null ? "database " + database : "role " + role + " in database " + database;
    }

    /** The {@code pg_stat_activity} condition of the target's sessions, except ours. */
    public String sessions() {
      return "datname = "
          + literal(database)
          + (role == null ? "" : " AND usename = " + literal(role))
          + " AND "
          + NOT_OURS;
    }
  }

  /** New transactions of {@code target} default to read only; marked with the cutover id. */
  public static List<String> readOnlyOn(Target target, String cutoverId) {
    String alter = "ALTER " + target.alterTarget() + " SET ";
    return List.of(
        alter + "default_transaction_read_only = on", alter + MARK + " = " + literal(cutoverId));
  }

  /** Undoes {@link #readOnlyOn}. */
  public static List<String> readOnlyOff(Target target) {
    String alter = "ALTER " + target.alterTarget() + " RESET ";
    return List.of(alter + "default_transaction_read_only", alter + MARK);
  }

  /** Pids of the target's sessions inside a transaction that writes (it has a transaction id). */
  public static String openWriters(Target target) {
    return "SELECT pid FROM pg_stat_activity WHERE "
        + target.sessions()
        + " AND backend_xid IS NOT NULL";
  }

  /**
   * Ends the target's sessions (they reconnect and get the new default); {@code idleSinceMs}: only
   * idle sessions connected at or after that time (epoch ms), or all when null.
   */
  public static String terminate(Target target, Long idleSinceMs) {
    return "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
        + target.sessions()
        + (idleSinceMs == null
            ? ""
            : " AND state = 'idle' AND backend_start >= to_timestamp("
                + (idleSinceMs / 1000.0)
                + ")");
  }

  /**
   * The read-only freezes a cutover left behind (it died while frozen): {@code database}, {@code
   * role} (null for a database-wide one) and {@code cutover} (the id).
   */
  public static final String LEFTOVERS =
      "SELECT d.datname AS database, r.rolname AS role, s.cfg AS setting"
          + " FROM pg_db_role_setting x CROSS JOIN LATERAL unnest(x.setconfig) AS s(cfg)"
          + " LEFT JOIN pg_database d ON d.oid = x.setdatabase"
          + " LEFT JOIN pg_roles r ON r.oid = x.setrole"
          + " WHERE s.cfg LIKE '"
          + MARK
          + "=%' AND d.datname IS NOT NULL";
}
