package dev.pgconvex.source.preflight;

import dev.pgconvex.common.lineage.SourceIdentity;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.TableId;
import java.util.List;

/**
 * The text of every preflight problem: what is wrong and how to fix it. One place, so operators see
 * consistent sentences and tests can pin them.
 */
public final class PreflightProblems {
  private PreflightProblems() {}

  public static String walLevel(String actual) {
    return "wal_level is '"
        + actual
        + "': set wal_level=logical in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and"
        + " restart Postgres";
  }

  public static String noReplication(String user) {
    return "user '"
        + user
        + "' has neither the REPLICATION attribute nor superuser: run ALTER ROLE \""
        + user
        + "\" WITH REPLICATION (as a superuser), or set pg.user to a role that has it";
  }

  public static String tableMissing(TableId table) {
    return "table "
        + table
        + " does not exist (or is not visible to the user): create it, fix "
        + SourceConfig.TABLES
        + ", or GRANT USAGE ON SCHEMA "
        + table.schema()
        + " and SELECT on the table";
  }

  public static String notATable(TableId table, String kind) {
    return table
        + " is a "
        + kind
        + ", not a table: only tables can be captured; remove it from "
        + SourceConfig.TABLES;
  }

  public static String noSelect(TableId table, String user) {
    return "user '"
        + user
        + "' cannot read table "
        + table
        + ": GRANT SELECT ON "
        + table.quoted()
        + " TO \""
        + user
        + "\"";
  }

  public static String noKey(TableId table) {
    return "table "
        + table
        + " has no primary key: add one (ALTER TABLE "
        + table.quoted()
        + " ADD PRIMARY KEY (...)), or name its key columns in "
        + SourceConfig.KEY_COLUMNS
        + " ("
        + table
        + ":col1+col2) and run ALTER TABLE "
        + table.quoted()
        + " REPLICA IDENTITY FULL";
  }

  public static String noReplicaIdentity(TableId table, String identity) {
    return "table "
        + table
        + " has no primary key and REPLICA IDENTITY "
        + identity
        + ", so its updates and deletes carry no old values (and fail once published): run ALTER"
        + " TABLE "
        + table.quoted()
        + " REPLICA IDENTITY FULL";
  }

  public static String replicaIdentityNothing(TableId table) {
    return "table "
        + table
        + " has REPLICA IDENTITY NOTHING, so its updates and deletes cannot be captured (and fail"
        + " once published): run ALTER TABLE "
        + table.quoted()
        + " REPLICA IDENTITY DEFAULT";
  }

  public static String keyColumnsMissing(TableId table, List<String> missing) {
    return SourceConfig.KEY_COLUMNS
        + " names column(s) "
        + missing
        + " that table "
        + table
        + " does not have: fix the column names";
  }

  public static String keyColumnsNullable(TableId table, List<String> nullable) {
    return SourceConfig.KEY_COLUMNS
        + " names column(s) "
        + nullable
        + " of table "
        + table
        + " that may be NULL, and a key column must not be: run ALTER TABLE "
        + table.quoted()
        + " ALTER COLUMN \""
        + nullable.get(0)
        + "\" SET NOT NULL"
        + (nullable.size() > 1 ? " (and likewise for the others)" : "")
        + ", or choose other columns";
  }

  public static String slotWrongPlugin(String slot, String plugin) {
    return "replication slot '"
        + slot
        + "' uses plugin '"
        + plugin
        + "', not pgoutput: choose another "
        + SourceConfig.SLOT_NAME
        + ", or drop the slot (SELECT pg_drop_replication_slot('"
        + slot
        + "')) and let the source create it (this starts a new snapshot)";
  }

  public static String slotNotLogical(String slot, String type) {
    return "replication slot '"
        + slot
        + "' is a "
        + type
        + " slot, not a logical one: choose another "
        + SourceConfig.SLOT_NAME;
  }

  public static String slotOtherDatabase(String slot, String database, String expected) {
    return "replication slot '"
        + slot
        + "' belongs to database '"
        + database
        + "', not '"
        + expected
        + "': choose another "
        + SourceConfig.SLOT_NAME;
  }

  public static String slotActive(String slot, int pid) {
    return "replication slot '"
        + slot
        + "' is in use by process "
        + pid
        + " (another source?): stop that consumer (SELECT pg_terminate_backend("
        + pid
        + ") if it is stale) or choose another "
        + SourceConfig.SLOT_NAME;
  }

  public static String slotLost(String slot) {
    return "replication slot '"
        + slot
        + "' has wal_status 'lost': Postgres removed WAL the source had not read yet, so changes"
        + " are missing and continuing would leave a gap; a resync is needed: drop the slot"
        + " (SELECT pg_drop_replication_slot('"
        + slot
        + "')), run ./cdc reset to remove the pipeline's Kafka state, and start again with a"
        + " fresh snapshot (raise max_slot_wal_keep_size to avoid a repeat)";
  }

  public static String slotMissingWithOffsets(String slot, String offsetsTopic) {
    return "replication slot '"
        + slot
        + "' does not exist but a position is stored in "
        + offsetsTopic
        + ": the changes since that position are gone (the slot was dropped or renamed), so"
        + " continuing would leave a gap; a resync is needed: run ./cdc reset (same --work-dir"
        + " or --kafka, and the pipeline's cdc.topic.prefix) to remove the pipeline's Kafka state"
        + " and start again with a fresh snapshot (or set source.snapshot.mode=always)";
  }

  public static String noFreeSlot(int used, int max) {
    return "no free replication slot ("
        + used
        + " of max_replication_slots="
        + max
        + " in use): drop an unused slot or raise max_replication_slots and restart Postgres";
  }

  public static String noWalSenders() {
    return "max_wal_senders is 0: set max_wal_senders to at least 1 in postgresql.conf and restart"
        + " Postgres";
  }

  public static String cannotCreateHeartbeatTable(TableId table, String user) {
    return "heartbeat table "
        + table
        + " does not exist and user '"
        + user
        + "' may not create it: run CREATE TABLE "
        + table.quoted()
        + " (id int primary key, ts timestamptz) and GRANT INSERT, UPDATE, SELECT ON it TO \""
        + user
        + "\", or set "
        + SourceConfig.HEARTBEAT_TABLE;
  }

  public static String cannotWriteHeartbeatTable(TableId table, String user) {
    return "user '"
        + user
        + "' cannot write heartbeat table "
        + table
        + ": GRANT INSERT, UPDATE, SELECT ON "
        + table.quoted()
        + " TO \""
        + user
        + "\", or set "
        + SourceConfig.HEARTBEAT_TABLE;
  }

  public static String cannotCreatePublication(String publication, List<TableId> notOwned) {
    return "publication '"
        + publication
        + "' does not exist and the user does not own "
        + notOwned
        + ", so it cannot create it: as the owner or a superuser run CREATE PUBLICATION \""
        + publication
        + "\" FOR TABLE "
        + String.join(", ", notOwned.stream().map(TableId::quoted).toList())
        + " (add every captured table and the heartbeat table)";
  }

  public static String publicationNotViaRoot(String publication, List<TableId> partitioned) {
    return "publication '"
        + publication
        + "' publishes the changes of partitioned table(s) "
        + partitioned
        + " under their partitions' names, so every change made while streaming would be lost"
        + " (publish_via_partition_root is false and the source's user does not own it): as its"
        + " owner run "
        + PublicationState.fixStatement(publication)
        + ", or set "
        + SourceConfig.PUBLICATION_NAME
        + " to a publication the source may create";
  }

  public static String otherLineage(String prefix, SourceIdentity recorded, SourceIdentity actual) {
    return "the Kafka state of pipeline '"
        + prefix
        + "' (offsets, changelogs, ids) was made from "
        + recorded.describe()
        + ", but this source is connected to "
        + actual.describe()
        + ": positions of two databases cannot be compared, so mirroring on would silently lose"
        + " rows; connect to the database the pipeline was mirroring, or start over with ./cdc"
        + " reset (same --work-dir or --kafka and cdc.topic.prefix; --convex-data also empties the"
        + " mirror in Convex), or give this database its own cdc.topic.prefix";
  }
}
