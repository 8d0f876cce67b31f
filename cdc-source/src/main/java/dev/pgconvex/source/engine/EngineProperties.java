package dev.pgconvex.source.engine;

import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Builds the Debezium engine configuration from the source settings. Stateless. */
public final class EngineProperties {
  private EngineProperties() {}

  /**
   * The engine properties: the source's choices, then {@code kafka.*} (for the offset store's
   * clients), then {@code debezium.*} overrides.
   */
  public static Properties build(SourceSettings s) {
    Properties p = new Properties();
    p.setProperty("name", engineName(s));
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("tasks.max", "1");

    // Offsets live in Kafka, next to the data, so they move only when the data is in Kafka.
    p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
    p.setProperty("offset.storage.topic", s.topics().offsets());
    p.setProperty("offset.storage.partitions", "1");
    p.setProperty("offset.storage.replication.factor", Short.toString(s.replicationFactor()));
    p.setProperty("offset.flush.interval.ms", Long.toString(s.offsetsCommitIntervalMs()));
    // Bounds how long a stop waits for the last offset write when Kafka is away.
    p.setProperty("offset.flush.timeout.ms", "5000");
    p.setProperty("bootstrap.servers", s.bootstrapServers());
    s.kafkaClientProps().forEach(p::setProperty);

    p.setProperty("database.hostname", s.jdbcUrl().host());
    p.setProperty("database.port", Integer.toString(s.jdbcUrl().port()));
    p.setProperty("database.dbname", s.jdbcUrl().database());
    p.setProperty("database.user", s.user());
    p.setProperty("database.password", s.password().reveal());
    String sslmode = s.jdbcUrl().params().get("sslmode");
    if (sslmode != null) {
      p.setProperty("database.sslmode", sslmode);
    }
    p.setProperty("topic.prefix", s.topics().prefix());

    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", s.slotName());
    p.setProperty("slot.drop.on.stop", "false");
    p.setProperty("publication.name", s.publicationName());
    p.setProperty("publication.autocreate.mode", "filtered");
    // Changes to a partition arrive as changes of the captured parent (the include list names
    // parents); without it Postgres publishes them under the partition's name and Debezium drops
    // them. An existing publication is fixed or refused by CdcSource and Preflight.
    p.setProperty("publish.via.partition.root", "true");
    // The heartbeat table is captured too: its changes move the stored position (and so the slot)
    // while the captured tables are idle. The signal table must be in the publication for
    // Debezium's source channel to see the signals. Records of both are dropped before Kafka.
    p.setProperty(
        "table.include.list",
        Stream.concat(s.tables().stream(), Stream.of(s.heartbeatTable(), s.signalTable()))
            .map(TableId::includeRegex)
            .collect(Collectors.joining(",")));
    if (!s.keyColumns().isEmpty()) {
      p.setProperty("message.key.columns", s.keyColumns().toDebezium());
    }
    // "incremental": no blocking snapshot; CdcSource requests an incremental one per table.
    p.setProperty("snapshot.mode", s.incrementalInitialLoad() ? "no_data" : s.snapshotMode());

    // Resync (./cdc resync): execute-snapshot signals inserted into the signal table start an
    // incremental snapshot, read in key-ordered chunks alongside streaming; its progress is part
    // of the stored offsets, so a restart resumes at the next chunk instead of starting over.
    p.setProperty("signal.enabled.channels", "source");
    p.setProperty("signal.data.collection", s.signalTable().toString());
    p.setProperty(
        "incremental.snapshot.chunk.size", Integer.toString(s.incrementalSnapshotChunkSize()));
    // insert_delete: the window-close watermark deletes the open one, so the table stays small.
    p.setProperty("incremental.snapshot.watermarking.strategy", "insert_delete");

    p.setProperty("decimal.handling.mode", "string");
    p.setProperty("time.precision.mode", "adaptive_time_microseconds");
    p.setProperty("binary.handling.mode", "base64");
    p.setProperty("hstore.handling.mode", "json");
    p.setProperty("interval.handling.mode", "string");
    p.setProperty("tombstones.on.delete", "true");
    // Debezium's default (skipped.operations=t) drops a TRUNCATE inside the connector, so Convex
    // would silently keep every row of a truncated table. With none it reaches the table's topic
    // (op "t"), is counted in pgconvex_source_events_total{op="truncate"} and the transformer
    // dead-letters it with the fix (resync the table). ("none" adds no publish list to the
    // publication Debezium creates, so Postgres publishes truncates, its default.)
    p.setProperty("skipped.operations", "none");
    p.setProperty("provide.transaction.metadata", "true");

    p.setProperty("heartbeat.interval.ms", Long.toString(s.heartbeatIntervalMs()));
    p.setProperty("heartbeat.action.query", heartbeatQuery(s.heartbeatTable()));
    p.setProperty("poll.interval.ms", Long.toString(s.pollIntervalMs()));
    p.setProperty("max.batch.size", Integer.toString(s.maxBatchSize()));
    p.setProperty("max.queue.size", Integer.toString(Math.max(8192, s.maxBatchSize() * 4)));

    s.debeziumProps().forEach(p::setProperty);
    return p;
  }

  /** The engine name; Debezium stores offsets under it. */
  public static String engineName(SourceSettings s) {
    return "pgconvex-source-" + s.topics().prefix();
  }

  /** The statement each heartbeat runs: one row, updated in place. */
  public static String heartbeatQuery(TableId table) {
    return "INSERT INTO "
        + table.quoted()
        + " (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts";
  }

  /**
   * The signal table's DDL, in the shape Debezium expects ({@code data} is text so long {@code
   * --where} conditions fit).
   */
  public static String signalTableDdl(TableId table) {
    return "CREATE TABLE IF NOT EXISTS "
        + table.quoted()
        + " (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data text)";
  }

  /** The properties for a log line, secrets hidden. */
  public static Map<String, String> forLog(Properties p) {
    Map<String, String> out = new TreeMap<>();
    p.stringPropertyNames()
        .forEach(
            k ->
                out.put(
                    k,
                    k.contains("password") || k.contains("secret") || k.contains("sasl.jaas")
                        ? "[hidden]"
                        : p.getProperty(k)));
    return out;
  }
}
