package dev.pgconvex.stack;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Postgres and Kafka from Docker, for machines that have it. Kept apart so that the Testcontainers
 * classes load only when this path is taken.
 */
final class TestcontainersSupport {
  static final String POSTGRES_IMAGE = "postgres:17";
  static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
  private static final Logger log = LoggerFactory.getLogger(TestcontainersSupport.class);

  private TestcontainersSupport() {}

  /** True when a Docker engine answers; false (never an exception) otherwise. */
  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      log.debug("Docker is not available", e);
      return false;
    }
  }

  /** A started Postgres 17 set up for logical replication; the caller stops it. */
  @SuppressWarnings("resource")
  static PostgreSQLContainer startPostgres(Duration timeout) {
    PostgreSQLContainer pg =
        new PostgreSQLContainer(POSTGRES_IMAGE)
            .withCommand(
                "postgres",
                "-c",
                "wal_level=logical",
                "-c",
                "max_replication_slots=32",
                "-c",
                "max_wal_senders=32",
                "-c",
                "synchronous_commit=on",
                "-c",
                "max_connections=200")
            .withStartupTimeout(timeout);
    pg.start();
    return pg;
  }

  /** A started single-node Kafka; the caller stops it. */
  @SuppressWarnings("resource")
  static KafkaContainer startKafka(Duration timeout) {
    KafkaContainer kafka =
        new KafkaContainer(KAFKA_IMAGE)
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .withStartupTimeout(timeout);
    kafka.start();
    return kafka;
  }
}
