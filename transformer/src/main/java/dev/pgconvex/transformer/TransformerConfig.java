package dev.pgconvex.transformer;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey.Importance;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.config.Validator;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The transformer's configuration: {@link CommonConfig} plus the keys below; {@code kafka.*} keys
 * not declared are passed to Kafka Streams with the prefix removed ({@code
 * kafka.producer.linger.ms=10}).
 */
public final class TransformerConfig {
  public static final String MAPPING_FILE = "transformer.mapping.file";
  public static final String STATE_DIR = "transformer.state.dir";
  public static final String NUM_STREAM_THREADS = "transformer.num.stream.threads";
  public static final String PROCESSING_GUARANTEE = "transformer.processing.guarantee";
  public static final String COMMIT_INTERVAL_MS = "transformer.commit.interval.ms";
  public static final String ORPHAN_REPORT_AFTER_MS = "transformer.orphan.report.after.ms";
  public static final String MAX_HELD_CHANGES = "transformer.schema.drift.max.held.changes";
  public static final String PARENT_ID_CACHE_ENTRIES = "transformer.parent.id.cache.entries";
  public static final String MAPPING_RELOAD_INTERVAL_MS = "transformer.mapping.reload.interval.ms";

  private TransformerConfig() {}

  /** A fresh definition with every key the transformer reads. */
  public static ConfigDef definition() {
    return new ConfigDef()
        .include(CommonConfig.definition())
        .define(
            MAPPING_FILE,
            ConfigType.STRING,
            "",
            Importance.HIGH,
            "The resolved mapping (JSON) the pipeline runs on. Required unless the launcher passes the"
                + " mapping in code.")
        .define(
            STATE_DIR,
            ConfigType.STRING,
            "state/transformer",
            Validator.nonEmpty(),
            Importance.HIGH,
            "Directory of the transformer's local state (RocksDB stores; rebuilt from Kafka when"
                + " lost). One per instance.")
        .define(
            NUM_STREAM_THREADS,
            ConfigType.INT,
            "1",
            Validator.between(1, 64),
            Importance.MEDIUM,
            "Kafka Streams threads of this instance.")
        .define(
            PROCESSING_GUARANTEE,
            ConfigType.STRING,
            StreamsConfig.AT_LEAST_ONCE,
            Validator.oneOf(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2),
            Importance.MEDIUM,
            "Kafka Streams processing guarantee. at_least_once is enough: the sink's writes are"
                + " idempotent by position.")
        .define(
            COMMIT_INTERVAL_MS,
            ConfigType.LONG,
            "100",
            Validator.atLeast(1),
            Importance.LOW,
            "How often Kafka Streams commits, in ms; with exactly_once_v2 this bounds latency.")
        .define(
            ORPHAN_REPORT_AFTER_MS,
            ConfigType.LONG,
            Long.toString(TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS),
            Validator.atLeast(0),
            Importance.MEDIUM,
            "A row held this long (wall clock, ms) for a required parent that has not arrived is"
                + " reported once to the dead-letter topic as an orphan; it keeps waiting and is"
                + " written if the parent arrives later. 0 never reports.")
        .define(
            MAX_HELD_CHANGES,
            ConfigType.LONG,
            Long.toString(TransformerTopology.DEFAULT_MAX_HELD_CHANGES),
            Validator.atLeast(0),
            Importance.MEDIUM,
            "Schema drift: a table whose changes no longer match the mapping (a mapped column"
                + " gone, a column retyped) has its changes held in order, per converter task, until"
                + " the transformer runs a mapping that matches; at most this many per table and"
                + " task, beyond which they are dead-lettered (reason held_overflow) and alerted.")
        .define(
            PARENT_ID_CACHE_ENTRIES,
            ConfigType.INT,
            Integer.toString(TransformerTopology.DEFAULT_PARENT_ID_CACHE_ENTRIES),
            Validator.atLeast(0),
            Importance.LOW,
            "Parent ids each assembler task keeps in memory (least recently used out), so a child"
                + " whose parent's id is known is written at once instead of after a round trip"
                + " through the resolver; the child still subscribes to later changes of that id."
                + " About 150 bytes each. 0 turns the cache off.")
        .define(
            MAPPING_RELOAD_INTERVAL_MS,
            ConfigType.LONG,
            "2000",
            Validator.atLeast(0),
            Importance.MEDIUM,
            "How often the transformer re-reads transformer.mapping.file, in ms: a mapping whose"
                + " tables, keys and relations are unchanged (columns only, as ./cdc schema evolve"
                + " writes it) is taken while running and the tables held for schema drift go on"
                + " in order; any other change is warned about and needs a restart. 0 reads it at"
                + " start only.");
  }

  /** Kafka Streams properties for {@code config}. */
  public static Properties streamsProperties(Config config) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, Topics.from(config).transformerAppId());
    p.put(
        StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(CommonConfig.KAFKA_BOOTSTRAP_SERVERS));
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(STATE_DIR));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(NUM_STREAM_THREADS));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.getString(PROCESSING_GUARANTEE));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.getLong(COMMIT_INTERVAL_MS));
    p.put(
        StreamsConfig.REPLICATION_FACTOR_CONFIG,
        config.getInt(CommonConfig.TOPIC_REPLICATION_FACTOR));
    // Latency over batching: a change should reach the sink within milliseconds.
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    // The assembler and the resolver each read two topics whose relative order does not matter
    // (answers are matched by ref): never idle waiting for the quieter one.
    p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
    String instance = config.getString(CommonConfig.INSTANCE_ID);
    if (!instance.isEmpty()) {
      // Static membership: a restart after a crash takes its tasks back at once. Kafka Streams
      // appends the thread index to it for each stream thread's consumer.
      p.put(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
          instance + "-transformer");
    }
    p.putAll(config.passthrough("kafka."));
    return p;
  }
}
