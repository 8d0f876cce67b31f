package dev.pgconvex.source.preflight;

import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only checks that Postgres can be captured without losing data, run before anything is
 * written or the engine starts. Collects every problem, then fails once. Stateless; thread-safe.
 */
public final class Preflight {
  private static final Logger log = LoggerFactory.getLogger(Preflight.class);

  private Preflight() {}

  /**
   * Connects and runs every check.
   *
   * @throws SourcePreflightException listing every problem with its fix
   * @throws SourceUnavailableException when Postgres cannot be reached or a query fails
   */
  public static void run(SourceSettings settings) {
    run(settings, false);
  }

  /**
   * Connects and runs every check.
   *
   * @param offsetsStored whether the offsets topic already holds a position for this source (see
   *     {@link StoredOffsets})
   * @throws SourcePreflightException listing every problem with its fix
   * @throws SourceUnavailableException when Postgres cannot be reached or a query fails
   */
  public static void run(SourceSettings settings, boolean offsetsStored) {
    run(settings, offsetsStored, List.of());
  }

  /**
   * Connects and runs every check; {@code found} are problems found before (the pipeline's
   * lineage), reported first, together with the rest.
   *
   * @throws SourcePreflightException listing every problem with its fix
   * @throws SourceUnavailableException when Postgres cannot be reached or a query fails
   */
  public static void run(SourceSettings settings, boolean offsetsStored, List<String> found) {
    List<String> problems = new ArrayList<>(found);
    try (Connection c = PgConnections.open(settings, "pgconvex-source-preflight")) {
      problems.addAll(check(c, settings, offsetsStored));
    } catch (SQLException e) {
      throw new SourceUnavailableException(
          "Preflight query failed on " + settings.jdbcUrl().url() + ": " + e.getMessage(), e);
    }
    if (!problems.isEmpty()) {
      throw new SourcePreflightException(problems);
    }
    log.info(
        "Preflight passed: {} table(s), slot '{}', publication '{}'",
        settings.tables().size(),
        settings.slotName(),
        settings.publicationName());
  }

  /**
   * Runs every check on {@code c}.
   *
   * @return the problems found, in check order; empty when capture can start
   */
  public static List<String> check(Connection c, SourceSettings s) throws SQLException {
    return check(c, s, false);
  }

  /**
   * Runs every check on {@code c}.
   *
   * @param offsetsStored whether a position is stored for this source
   * @return the problems found, in check order; empty when capture can start
   */
  public static List<String> check(Connection c, SourceSettings s, boolean offsetsStored)
      throws SQLException {
    List<String> problems = new ArrayList<>();

    String walLevel = single(c, "SELECT current_setting('wal_level')");
    if (!"logical".equals(walLevel)) {
      problems.add(PreflightProblems.walLevel(walLevel));
    }

    boolean superuser = false;
    boolean replication = false;
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        superuser = rs.getBoolean(1);
        replication = rs.getBoolean(2);
      }
    }
    if (!superuser && !replication) {
      problems.add(PreflightProblems.noReplication(s.user()));
    }

    List<TableId> notOwned = new ArrayList<>();
    for (TableId t : s.tables()) {
      checkTable(c, s, t, problems, notOwned);
    }

    checkSlot(c, s, offsetsStored, problems);

    TableId hb = s.heartbeatTable();
    boolean hbExists;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_has_role(c.relowner, 'USAGE'),"
                + " has_table_privilege(c.oid, 'INSERT, UPDATE') FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
      ps.setString(1, hb.schema());
      ps.setString(2, hb.table());
      try (ResultSet rs = ps.executeQuery()) {
        hbExists = rs.next();
        if (hbExists && !rs.getBoolean(1)) {
          notOwned.add(hb);
        }
        if (hbExists && !rs.getBoolean(2)) {
          problems.add(PreflightProblems.cannotWriteHeartbeatTable(hb, s.user()));
        }
      }
    }
    if (!hbExists) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n"
                  + " WHERE n.nspname = ?")) {
        ps.setString(1, hb.schema());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next() || !rs.getBoolean(1)) {
            problems.add(PreflightProblems.cannotCreateHeartbeatTable(hb, s.user()));
          }
        }
      }
    }

    boolean publicationExists;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, s.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        publicationExists = rs.next();
      }
    }
    if (!publicationExists && !superuser && !notOwned.isEmpty()) {
      problems.add(PreflightProblems.cannotCreatePublication(s.publicationName(), notOwned));
    }
    // One the source may alter is fixed by CdcSource before the engine starts.
    PublicationState publication = PublicationState.read(c, s);
    if (publication.losesPartitionChanges() && !publication.ownedBySource()) {
      problems.add(
          PreflightProblems.publicationNotViaRoot(s.publicationName(), publication.partitioned()));
    }
    return problems;
  }

  private static void checkTable(
      Connection c, SourceSettings s, TableId t, List<String> problems, List<TableId> notOwned)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.oid, c.relkind, c.relreplident, has_table_privilege(c.oid, 'SELECT'),"
                + " pg_has_role(c.relowner, 'USAGE'),"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ?")) {
      ps.setString(1, t.schema());
      ps.setString(2, t.table());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          problems.add(PreflightProblems.tableMissing(t));
          return;
        }
        long oid = rs.getLong(1);
        String kind = rs.getString(2);
        String identity = rs.getString(3);
        boolean canSelect = rs.getBoolean(4);
        boolean owned = rs.getBoolean(5);
        boolean hasPk = rs.getBoolean(6);
        if (!kind.equals("r") && !kind.equals("p")) {
          problems.add(PreflightProblems.notATable(t, relkindName(kind)));
          return;
        }
        if (!canSelect) {
          problems.add(PreflightProblems.noSelect(t, s.user()));
        }
        if (!owned) {
          notOwned.add(t);
        }
        List<String> keys = s.keyColumns().of(t);
        if ("n".equals(identity)) {
          problems.add(PreflightProblems.replicaIdentityNothing(t));
        } else if (!hasPk) {
          if (keys.isEmpty()) {
            problems.add(PreflightProblems.noKey(t));
          } else if (!"f".equals(identity)) {
            // only FULL puts the whole old row, configured key included, in updates and deletes
            problems.add(
                PreflightProblems.noReplicaIdentity(t, "d".equals(identity) ? "DEFAULT" : "INDEX"));
          }
        }
        if (!keys.isEmpty()) {
          Set<String> columns = new TreeSet<>();
          Set<String> nullable = new TreeSet<>();
          try (PreparedStatement cols =
              c.prepareStatement(
                  "SELECT attname, attnotnull FROM pg_attribute"
                      + " WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped")) {
            cols.setLong(1, oid);
            try (ResultSet crs = cols.executeQuery()) {
              while (crs.next()) {
                columns.add(crs.getString(1));
                if (!crs.getBoolean(2)) {
                  nullable.add(crs.getString(1));
                }
              }
            }
          }
          List<String> missing = keys.stream().filter(k -> !columns.contains(k)).toList();
          if (!missing.isEmpty()) {
            problems.add(PreflightProblems.keyColumnsMissing(t, missing));
          }
          List<String> nullKeys = keys.stream().filter(nullable::contains).toList();
          if (!nullKeys.isEmpty()) {
            problems.add(PreflightProblems.keyColumnsNullable(t, nullKeys));
          }
        }
      }
    }
  }

  private static void checkSlot(
      Connection c, SourceSettings s, boolean offsetsStored, List<String> problems)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT plugin, slot_type, database, active_pid, wal_status, current_database()"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, s.slotName());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          String plugin = rs.getString(1);
          String type = rs.getString(2);
          String database = rs.getString(3);
          int pid = rs.getInt(4);
          boolean active = !rs.wasNull();
          String walStatus = rs.getString(5);
          String current = rs.getString(6);
          if ("lost".equals(walStatus)) {
            problems.add(PreflightProblems.slotLost(s.slotName()));
          }
          if (!"logical".equals(type)) {
            problems.add(PreflightProblems.slotNotLogical(s.slotName(), type));
          } else if (!"pgoutput".equals(plugin)) {
            problems.add(PreflightProblems.slotWrongPlugin(s.slotName(), plugin));
          }
          if (database != null && !database.equals(current)) {
            problems.add(PreflightProblems.slotOtherDatabase(s.slotName(), database, current));
          }
          if (active) {
            problems.add(PreflightProblems.slotActive(s.slotName(), pid));
          }
          if ("unreserved".equals(walStatus)) {
            log.warn(
                "Replication slot '{}' has wal_status 'unreserved': Postgres may remove WAL it"
                    + " still needs at the next checkpoint; the source must catch up now",
                s.slotName());
          }
          return;
        }
      }
    }
    if (offsetsStored && !"always".equals(s.snapshotMode())) {
      problems.add(PreflightProblems.slotMissingWithOffsets(s.slotName(), s.topics().offsets()));
    }
    int maxWalSenders = Integer.parseInt(single(c, "SELECT current_setting('max_wal_senders')"));
    if (maxWalSenders == 0) {
      problems.add(PreflightProblems.noWalSenders());
    }
    int maxSlots = Integer.parseInt(single(c, "SELECT current_setting('max_replication_slots')"));
    int used = Integer.parseInt(single(c, "SELECT count(*) FROM pg_replication_slots"));
    if (used >= maxSlots) {
      problems.add(PreflightProblems.noFreeSlot(used, maxSlots));
    }
  }

  private static String relkindName(String kind) {
    return switch (kind) {
      case "v" -> "view";
      case "m" -> "materialized view";
      case "f" -> "foreign table";
      case "S" -> "sequence";
      case "i", "I" -> "index";
      default -> "relation of kind '" + kind + "'";
    };
  }

  private static String single(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }
}
