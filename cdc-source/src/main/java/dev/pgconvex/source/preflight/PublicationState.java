package dev.pgconvex.source.preflight;

import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the catalog says about the source's publication and the captured partitioned tables.
 *
 * <p>Why it matters: a publication without {@code publish_via_partition_root} publishes a change to
 * a partition under the partition's own name ({@code public.payment_p2022_03}), which the source's
 * table filter does not match, so Debezium drops it without a word while the slot moves past it.
 * With the option every partition's change arrives as a change of the captured parent.
 *
 * @param exists whether the publication exists
 * @param viaRoot its {@code pubviaroot} (false when it does not exist)
 * @param ownedBySource whether the source's user may alter it (owner or member of the owner role)
 * @param partitioned the captured tables that are partitioned
 */
public record PublicationState(
    boolean exists, boolean viaRoot, boolean ownedBySource, List<TableId> partitioned) {

  /**
   * The tables {@code publication} publishes ({@code schema.table}), empty when it does not exist.
   */
  public static java.util.Set<String> tables(Connection c, String publication) throws SQLException {
    java.util.Set<String> out = new java.util.TreeSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + "." + rs.getString(2));
        }
      }
    }
    return out;
  }

  /** Reads the state for {@code s}'s publication and tables. */
  public static PublicationState read(Connection c, SourceSettings s) throws SQLException {
    List<TableId> partitioned = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind = 'p'")) {
      for (TableId t : s.tables()) {
        ps.setString(1, t.schema());
        ps.setString(2, t.table());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            partitioned.add(t);
          }
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pubviaroot, pg_has_role(pubowner, 'USAGE') FROM pg_publication"
                + " WHERE pubname = ?")) {
      ps.setString(1, s.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new PublicationState(false, false, false, List.copyOf(partitioned));
        }
        return new PublicationState(
            true, rs.getBoolean(1), rs.getBoolean(2), List.copyOf(partitioned));
      }
    }
  }

  /**
   * True when the publication exists, a captured table is partitioned and the publication would
   * publish that table's changes under its partitions' names.
   */
  public boolean losesPartitionChanges() {
    return exists && !viaRoot && !partitioned.isEmpty();
  }

  /** The statement that makes partition changes arrive as the parent's. */
  public static String fixStatement(String publication) {
    return "ALTER PUBLICATION \"" + publication + "\" SET (publish_via_partition_root = true)";
  }

  /**
   * The operations an existing publication does not publish ({@code insert}, {@code update}, {@code
   * delete}, {@code truncate}): Postgres never sends those changes, so the source cannot see them.
   * Empty when the publication publishes all four or does not exist yet (Debezium then creates it
   * publishing all four).
   */
  public static List<String> unpublishedOperations(Connection c, String publication)
      throws SQLException {
    List<String> missing = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication"
                + " WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          String[] ops = {"insert", "update", "delete", "truncate"};
          for (int i = 0; i < ops.length; i++) {
            if (!rs.getBoolean(i + 1)) {
              missing.add(ops[i]);
            }
          }
        }
      }
    }
    return missing;
  }

  /** The statement that makes {@code publication} publish every operation. */
  public static String publishAllStatement(String publication) {
    return "ALTER PUBLICATION \""
        + publication
        + "\" SET (publish = 'insert, update, delete, truncate')";
  }

  /**
   * Makes an existing publication publish partition changes via the root, when it would lose them
   * and the source may alter it (preflight refused the other case). Idempotent.
   *
   * @return true when the publication was altered
   */
  public static boolean fixIfNeeded(Connection c, SourceSettings s) throws SQLException {
    PublicationState state = read(c, s);
    if (!state.losesPartitionChanges() || !state.ownedBySource()) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement(fixStatement(s.publicationName()))) {
      ps.execute();
    }
    return true;
  }
}
