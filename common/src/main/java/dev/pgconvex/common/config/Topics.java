package dev.pgconvex.common.config;

/** Names of the pipeline's topics, from the prefix (docs/contracts.md). Immutable. */
public record Topics(String prefix) {
  public static Topics from(Config config) {
    return new Topics(config.getString(CommonConfig.TOPIC_PREFIX));
  }

  /** Debezium's topic for a table: {@code prefix.schema.table}. */
  public String source(String schema, String table) {
    return prefix + "." + schema + "." + table;
  }

  /** Operations for the sink. */
  public String ops() {
    return prefix + ".ops";
  }

  /**
   * One partition: the source's heartbeats ({@code {"commitTs","lsn"}}), one per change of the
   * heartbeat table; the transformer turns each into a heartbeat op on every ops partition, so the
   * sink observes the whole chain flowing while the database is idle (docs/contracts.md).
   */
  public String heartbeats() {
    return prefix + ".heartbeats";
  }

  /** Compacted (table/key) to Convex id, written by the sink. */
  public String ids() {
    return prefix + ".ids";
  }

  public String deadLetters() {
    return prefix + ".dlq";
  }

  /**
   * Compacted, one partition: the dead letters {@code ./cdc dlq replay} re-injected, keyed by their
   * {@code partition:offset} in {@link #deadLetters()} (docs/contracts.md).
   */
  public String dlqReplays() {
    return prefix + ".dlq-replays";
  }

  /** Debezium offsets (compacted). */
  public String offsets() {
    return prefix + ".offsets";
  }

  /**
   * Compacted, one partition: which Postgres and which Convex mirror the pipeline's state belongs
   * to ({@code dev.pgconvex.common.kafka.LineageTopic}).
   */
  public String lineage() {
    return prefix + ".lineage";
  }

  /** Kafka Streams application id of the transformer (also its consumer group). */
  public String transformerAppId() {
    return prefix + "-transformer";
  }

  /** Consumer group of the sink. */
  public String sinkGroup() {
    return prefix + "-sink";
  }
}
