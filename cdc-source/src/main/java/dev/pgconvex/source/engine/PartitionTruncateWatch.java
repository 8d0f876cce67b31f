package dev.pgconvex.source.engine;

import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a TRUNCATE of one partition visible. A publication with {@code publish_via_partition_root}
 * does not publish a TRUNCATE issued on a partition (only one on the parent), so without help it
 * would leave Convex holding the partition's rows without a word. Each leaf partition of a captured
 * partitioned table gets a statement trigger that writes a transactional logical message ({@value
 * #MESSAGE_PREFIX}, content {@code <parent>|<partition>}); the source turns it into a truncate
 * event of the parent, which the transformer dead-letters with the fix (resync the table).
 *
 * <p>Partitions created while the source runs get their trigger at the next {@link #install} (every
 * slot poll). A partition whose trigger cannot be created (not its owner) is warned about once,
 * naming the fix. Thread-safe.
 */
public final class PartitionTruncateWatch {
  /** Prefix of the logical messages the triggers write. */
  public static final String MESSAGE_PREFIX = "pgconvex.truncate";

  static final String TRIGGER = "pgconvex_truncate";
  private static final Logger log = LoggerFactory.getLogger(PartitionTruncateWatch.class);

  private final SourceSettings settings;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public PartitionTruncateWatch(SourceSettings settings) {
    this.settings = settings;
  }

  /** The trigger function, in the heartbeat table's schema (the source may create there). */
  String function() {
    return '"' + settings.heartbeatTable().schema() + "\".pgconvex_partition_truncated";
  }

  /**
   * Creates the function and the missing triggers on every leaf partition of the captured
   * partitioned tables.
   *
   * @return the partitions that got a trigger now
   */
  public List<String> install(Connection c) throws SQLException {
    List<String[]> missing = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT t.relid::regclass::text FROM pg_partition_tree(?::regclass) t"
                + " WHERE t.isleaf AND t.level > 0 AND NOT EXISTS (SELECT 1 FROM pg_trigger g"
                + " WHERE g.tgrelid = t.relid AND g.tgname = '"
                + TRIGGER
                + "')")) {
      for (TableId parent : settings.tables()) {
        ps.setString(1, parent.quoted());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            missing.add(new String[] {parent.toString(), rs.getString(1)});
          }
        }
      }
    }
    if (missing.isEmpty()) {
      return List.of();
    }
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE OR REPLACE FUNCTION "
              + function()
              + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
              + " PERFORM pg_logical_emit_message(true, '"
              + MESSAGE_PREFIX
              + "', TG_ARGV[0] || '|' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);"
              + " RETURN NULL; END $$");
    }
    List<String> installed = new ArrayList<>();
    for (String[] m : missing) {
      String parent = m[0];
      String partition = m[1];
      try (Statement st = c.createStatement()) {
        st.execute(
            "CREATE TRIGGER "
                + TRIGGER
                + " AFTER TRUNCATE ON "
                + partition
                + " FOR EACH STATEMENT EXECUTE FUNCTION "
                + function()
                + "('"
                + parent.replace("'", "''")
                + "')");
        installed.add(partition);
      } catch (SQLException e) {
        if (warned.add(partition)) {
          log.warn(
              "A TRUNCATE of partition {} of {} would not reach Convex: cannot create trigger"
                  + " {} on it ({}); run the source as the table's owner, or never truncate a"
                  + " single partition (truncate {} and resync instead)",
              partition,
              parent,
              TRIGGER,
              e.getMessage(),
              parent);
        }
      }
    }
    if (!installed.isEmpty()) {
      log.info("Watching TRUNCATE of partition(s) {}", installed);
    }
    return installed;
  }
}
