package dev.pgconvex.common.config;

import dev.pgconvex.common.config.ConfigKey.Importance;

/** Keys every service shares: Kafka and topic names, and the observability endpoint. */
public final class CommonConfig {
  public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
  public static final String TOPIC_PREFIX = "cdc.topic.prefix";
  public static final String TOPIC_PARTITIONS = "cdc.topic.partitions";
  public static final String TOPIC_REPLICATION_FACTOR = "cdc.topic.replication.factor";
  public static final String HTTP_PORT = "http.port";
  public static final String HTTP_HOST = "http.host";
  public static final String INSTANCE_ID = "cdc.instance.id";

  private CommonConfig() {}

  /** A fresh definition holding the shared keys; services {@link ConfigDef#include} it. */
  public static ConfigDef definition() {
    return new ConfigDef()
        .define(
            KAFKA_BOOTSTRAP_SERVERS,
            ConfigType.STRING,
            "localhost:9092",
            Validator.nonEmpty(),
            Importance.HIGH,
            "Kafka bootstrap servers, host:port[,host:port].")
        .define(
            TOPIC_PREFIX,
            ConfigType.STRING,
            "pgconvex",
            Validator.matches("[A-Za-z0-9_\\-]+", "letters, digits, '_' or '-'"),
            Importance.HIGH,
            "Prefix of every topic of the pipeline; also Debezium's topic.prefix.")
        .define(
            TOPIC_PARTITIONS,
            ConfigType.INT,
            "4",
            Validator.between(1, 10_000),
            Importance.MEDIUM,
            "Partitions of the ops and ids topics and of the transformer's repartition topics. All must be"
                + " equal, so it is set once here.")
        .define(
            TOPIC_REPLICATION_FACTOR,
            ConfigType.INT,
            "1",
            Validator.between(1, 32),
            Importance.MEDIUM,
            "Replication factor of the topics the pipeline creates.")
        .define(
            INSTANCE_ID,
            ConfigType.STRING,
            "",
            Validator.matches(
                "[A-Za-z0-9_.\\-]*", "letters, digits, '.', '_' or '-' (empty: none)"),
            Importance.MEDIUM,
            "A name for this instance that stays the same across its restarts (a StatefulSet"
                + " pod name, a host name), used as the Kafka consumer groups' group.instance.id"
                + " (static membership): a restarted instance takes its partitions back at once"
                + " instead of after the dead member's session timeout. Each running instance"
                + " needs its own. Empty: dynamic membership. ./cdc run sets one derived from its"
                + " work dir.")
        .define(
            HTTP_HOST,
            ConfigType.STRING,
            "127.0.0.1",
            Importance.LOW,
            "Address of the /metrics and /health endpoint.")
        .define(
            HTTP_PORT,
            ConfigType.INT,
            "0",
            Validator.between(0, 65535),
            Importance.LOW,
            "Port of the /metrics and /health endpoint; 0 picks a free one.");
  }
}
