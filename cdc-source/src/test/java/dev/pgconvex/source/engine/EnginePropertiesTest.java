package dev.pgconvex.source.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EnginePropertiesTest {
  static SourceSettings settings(Map<String, String> extra) {
    Map<String, String> m = new HashMap<>();
    m.put("pg.jdbc.url", "jdbc:postgresql://pg:5433/app?sslmode=require");
    m.put("pg.user", "cdc");
    m.put("pg.password", "s3cret-pw");
    m.put("source.tables", "public.users,shop.orders");
    m.put("cdc.topic.prefix", "pfx");
    m.put("cdc.topic.replication.factor", "3");
    m.putAll(extra);
    return SourceSettings.from(SourceConfig.parse(m, k -> null));
  }

  @Test
  void setsTheSourcesChoices() {
    Properties p =
        EngineProperties.build(settings(Map.of("source.key.columns", "shop.orders:a+b")));
    assertThat(p)
        .containsEntry("connector.class", "io.debezium.connector.postgresql.PostgresConnector")
        .containsEntry("plugin.name", "pgoutput")
        .containsEntry("slot.name", "pgconvex")
        .containsEntry("slot.drop.on.stop", "false")
        .containsEntry("publication.name", "pgconvex_pub")
        .containsEntry("publication.autocreate.mode", "filtered")
        .containsEntry("topic.prefix", "pfx")
        .containsEntry("database.hostname", "pg")
        .containsEntry("database.port", "5433")
        .containsEntry("database.dbname", "app")
        .containsEntry("database.sslmode", "require")
        .containsEntry("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore")
        .containsEntry("offset.storage.topic", "pfx.offsets")
        .containsEntry("offset.storage.partitions", "1")
        .containsEntry("offset.storage.replication.factor", "3")
        .containsEntry("decimal.handling.mode", "string")
        .containsEntry("time.precision.mode", "adaptive_time_microseconds")
        .containsEntry("binary.handling.mode", "base64")
        .containsEntry("hstore.handling.mode", "json")
        .containsEntry("interval.handling.mode", "string")
        .containsEntry("provide.transaction.metadata", "true")
        // Debezium's default "t" would drop truncates before they reach Kafka.
        .containsEntry("skipped.operations", "none")
        .containsEntry("heartbeat.interval.ms", "1000")
        .containsEntry("poll.interval.ms", "10")
        .containsEntry("max.batch.size", "4096")
        .containsEntry("message.key.columns", "shop.orders:a,b");
    String include = p.getProperty("table.include.list");
    assertThat(include.split(",")).hasSize(4);
    assertThat("public.users").matches(include.split(",")[0]);
    assertThat("shop.orders").matches(include.split(",")[1]);
    assertThat("public.pgconvex_heartbeat").matches(include.split(",")[2]);
    assertThat("public.pgconvex_signal").matches(include.split(",")[3]);
    assertThat(p)
        .containsEntry("signal.enabled.channels", "source")
        .containsEntry("signal.data.collection", "public.pgconvex_signal")
        .containsEntry("incremental.snapshot.chunk.size", "2048")
        .containsEntry("snapshot.mode", "initial");
    assertThat(p.getProperty("heartbeat.action.query"))
        .isEqualTo(
            "INSERT INTO \"public\".\"pgconvex_heartbeat\" (id, ts) VALUES (1, now())"
                + " ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts");
  }

  @Test
  void passThroughOverridesAndLogHidesSecrets() {
    Properties p =
        EngineProperties.build(
            settings(
                Map.of(
                    "debezium.poll.interval.ms", "50",
                    "kafka.sasl.jaas.config", "secret-jaas")));
    assertThat(p)
        .containsEntry("poll.interval.ms", "50")
        .containsEntry("sasl.jaas.config", "secret-jaas");
    assertThat(EngineProperties.forLog(p).toString())
        .doesNotContain("s3cret-pw")
        .doesNotContain("secret-jaas")
        .contains("database.password=[hidden]");
  }

  @Test
  void heartbeatQueryQuotesTheTable() {
    assertThat(EngineProperties.heartbeatQuery(new TableId("ops", "Beat")))
        .startsWith("INSERT INTO \"ops\".\"Beat\" (id, ts)");
  }

  @Test
  void incrementalInitialLoadStreamsWithoutABlockingSnapshot() {
    Properties p =
        EngineProperties.build(
            settings(
                Map.of(
                    "source.snapshot.mode", "incremental",
                    "source.signal.table", "ops.signals",
                    "source.incremental.snapshot.chunk.size", "500")));
    assertThat(p)
        .containsEntry("snapshot.mode", "no_data")
        .containsEntry("signal.data.collection", "ops.signals")
        .containsEntry("incremental.snapshot.chunk.size", "500");
    assertThat("ops.signals").matches(p.getProperty("table.include.list").split(",")[3]);
  }
}
