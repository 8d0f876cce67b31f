package dev.pgconvex.source.config;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.config.Topics;
import java.util.List;
import java.util.Map;

/**
 * The source's configuration as typed values, read once from a {@link Config} parsed by {@link
 * SourceConfig#definition()}. Immutable; {@link #toString()} hides the password.
 *
 * @param jdbcUrl the database
 * @param user Postgres user
 * @param password its password (may be empty)
 * @param tables captured tables, in configured order
 * @param keyColumns key columns of tables without a primary key
 * @param slotName replication slot
 * @param publicationName publication
 * @param snapshotMode Debezium snapshot mode
 * @param heartbeatTable table written by heartbeats
 * @param heartbeatIntervalMs heartbeat period
 * @param signalTable Debezium signal table (resync requests)
 * @param incrementalSnapshotChunkSize rows per incremental snapshot chunk
 * @param pollIntervalMs Debezium poll interval
 * @param maxBatchSize Debezium batch size
 * @param offsetsCommitIntervalMs offset flush period
 * @param slotLagPollIntervalMs slot lag polling period
 * @param deliveryTimeoutMs producer delivery timeout
 * @param topics topic names
 * @param bootstrapServers Kafka
 * @param partitions partitions of the table topics
 * @param replicationFactor replication factor of created topics
 * @param kafkaClientProps {@code kafka.*} pass-through, prefix removed
 * @param debeziumProps {@code debezium.*} pass-through, prefix removed
 */
public record SourceSettings(
    PgJdbcUrl jdbcUrl,
    String user,
    Secret password,
    List<TableId> tables,
    KeyColumns keyColumns,
    String slotName,
    String publicationName,
    String snapshotMode,
    TableId heartbeatTable,
    long heartbeatIntervalMs,
    TableId signalTable,
    int incrementalSnapshotChunkSize,
    long pollIntervalMs,
    int maxBatchSize,
    long offsetsCommitIntervalMs,
    long slotLagPollIntervalMs,
    long deliveryTimeoutMs,
    Topics topics,
    String bootstrapServers,
    int partitions,
    short replicationFactor,
    Map<String, String> kafkaClientProps,
    Map<String, String> debeziumProps) {

  public SourceSettings {
    tables = List.copyOf(tables);
    kafkaClientProps = Map.copyOf(kafkaClientProps);
    debeziumProps = Map.copyOf(debeziumProps);
  }

  /**
   * Reads the values from {@code config}.
   *
   * @throws ConfigException when keys contradict each other (see {@link SourceConfig#parse})
   */
  public static SourceSettings from(Config config) {
    Map<String, String> raw =
        Map.of(
            SourceConfig.TABLES,
            String.join(",", config.getList(SourceConfig.TABLES)),
            SourceConfig.KEY_COLUMNS,
            config.getString(SourceConfig.KEY_COLUMNS),
            SourceConfig.HEARTBEAT_TABLE,
            config.getString(SourceConfig.HEARTBEAT_TABLE),
            SourceConfig.SIGNAL_TABLE,
            config.getString(SourceConfig.SIGNAL_TABLE));
    List<String> problems = SourceConfig.crossCheck(raw);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new SourceSettings(
        PgJdbcUrl.parse(config.getString(SourceConfig.PG_JDBC_URL)),
        config.getString(SourceConfig.PG_USER),
        config.getSecret(SourceConfig.PG_PASSWORD),
        config.getList(SourceConfig.TABLES).stream().map(TableId::parse).toList(),
        KeyColumns.parse(config.getString(SourceConfig.KEY_COLUMNS)),
        config.getString(SourceConfig.SLOT_NAME),
        config.getString(SourceConfig.PUBLICATION_NAME),
        config.getString(SourceConfig.SNAPSHOT_MODE),
        TableId.parse(config.getString(SourceConfig.HEARTBEAT_TABLE)),
        config.getLong(SourceConfig.HEARTBEAT_INTERVAL_MS),
        TableId.parse(config.getString(SourceConfig.SIGNAL_TABLE)),
        config.getInt(SourceConfig.INCREMENTAL_SNAPSHOT_CHUNK_SIZE),
        config.getLong(SourceConfig.POLL_INTERVAL_MS),
        config.getInt(SourceConfig.MAX_BATCH_SIZE),
        config.getLong(SourceConfig.OFFSETS_COMMIT_INTERVAL_MS),
        config.getLong(SourceConfig.SLOT_LAG_POLL_INTERVAL_MS),
        config.getLong(SourceConfig.KAFKA_DELIVERY_TIMEOUT_MS),
        Topics.from(config),
        config.getString(CommonConfig.KAFKA_BOOTSTRAP_SERVERS),
        config.getInt(CommonConfig.TOPIC_PARTITIONS),
        (short) config.getInt(CommonConfig.TOPIC_REPLICATION_FACTOR),
        config.passthrough("kafka."),
        config.passthrough("debezium."));
  }

  /**
   * True for {@code source.snapshot.mode=incremental}: tables are loaded by incremental snapshots
   * (resumable) instead of Debezium's blocking initial snapshot.
   */
  public boolean incrementalInitialLoad() {
    return "incremental".equals(snapshotMode);
  }

  /** Debezium's topic of a captured table. */
  public String topicOf(TableId table) {
    return topics.source(table.schema(), table.table());
  }

  /** Debezium's transaction metadata topic ({@code <prefix>.transaction}). */
  public String transactionTopic() {
    return topics.prefix() + ".transaction";
  }

  /**
   * Debezium's topic of logical decoding messages ({@code pg_logical_emit_message}), {@code
   * <prefix>.message}: a barrier written into the WAL arrives there in commit order.
   */
  public String messageTopic() {
    return topics.prefix() + ".message";
  }

  /** Debezium's heartbeat topic; its records are not forwarded. */
  public String heartbeatTopic() {
    return "__debezium-heartbeat." + topics.prefix();
  }

  @Override
  public String toString() {
    return "SourceSettings[url="
        + jdbcUrl.url()
        + ", user="
        + user
        + ", tables="
        + tables
        + ", slot="
        + slotName
        + ", publication="
        + publicationName
        + ", snapshotMode="
        + snapshotMode
        + ", prefix="
        + topics.prefix()
        + ", kafka="
        + bootstrapServers
        + "]";
  }
}
