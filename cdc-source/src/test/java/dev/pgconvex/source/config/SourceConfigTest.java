package dev.pgconvex.source.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceConfigTest {
  private static Map<String, String> valid() {
    Map<String, String> m = new HashMap<>();
    m.put("pg.jdbc.url", "jdbc:postgresql://db.example:5433/app?sslmode=require");
    m.put("pg.user", "cdc");
    m.put("pg.password", "s3cret-pw");
    m.put("source.tables", "public.users, public.orders");
    return m;
  }

  @Test
  void validConfigGivesTypedSettingsWithDefaults() {
    Config config = SourceConfig.parse(valid(), k -> null);
    SourceSettings s = SourceSettings.from(config);

    assertThat(s.jdbcUrl().host()).isEqualTo("db.example");
    assertThat(s.jdbcUrl().port()).isEqualTo(5433);
    assertThat(s.jdbcUrl().database()).isEqualTo("app");
    assertThat(s.jdbcUrl().params()).containsEntry("sslmode", "require");
    assertThat(s.tables())
        .containsExactly(new TableId("public", "users"), new TableId("public", "orders"));
    assertThat(s.slotName()).isEqualTo("pgconvex");
    assertThat(s.publicationName()).isEqualTo("pgconvex_pub");
    assertThat(s.snapshotMode()).isEqualTo("initial");
    assertThat(s.heartbeatIntervalMs()).isEqualTo(1000);
    assertThat(s.pollIntervalMs()).isEqualTo(10);
    assertThat(s.maxBatchSize()).isEqualTo(4096);
    assertThat(s.heartbeatTable()).isEqualTo(new TableId("public", "pgconvex_heartbeat"));
    assertThat(s.topicOf(s.tables().get(0))).isEqualTo("pgconvex.public.users");
    assertThat(s.password().reveal()).isEqualTo("s3cret-pw");
    assertThat(s.toString()).doesNotContain("s3cret-pw");
    assertThat(config.toString()).doesNotContain("s3cret-pw");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    Map<String, String> m = new HashMap<>();
    m.put("pg.jdbc.url", "postgres://nope");
    m.put("pg.password", "s3cret-pw");
    m.put("source.tables", "users,public.orders,public.orders");
    m.put("source.snapshot.mode", "sometimes");
    m.put("source.heartbeat.interval.ms", "abc");
    m.put("source.key.columns", "public.t:a+;public.u");
    m.put("source.slot.name", "Bad-Slot");
    m.put("source.bogus", "1");

    assertThatThrownBy(() -> SourceConfig.parse(m, k -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.problems())
                  .anySatisfy(p -> assertThat(p).startsWith("pg.jdbc.url:"))
                  .anySatisfy(p -> assertThat(p).startsWith("pg.user: required"))
                  .anySatisfy(
                      p -> assertThat(p).startsWith("source.tables:").contains("'users'", "twice"))
                  .anySatisfy(p -> assertThat(p).startsWith("source.snapshot.mode:"))
                  .anySatisfy(p -> assertThat(p).startsWith("source.heartbeat.interval.ms:"))
                  .anySatisfy(p -> assertThat(p).startsWith("source.key.columns:"))
                  .anySatisfy(p -> assertThat(p).startsWith("source.slot.name:"))
                  .anySatisfy(p -> assertThat(p).startsWith("source.bogus: unknown"));
              assertThat(e.problems()).hasSize(8);
              assertThat(e.getMessage()).doesNotContain("s3cret-pw");
            });
  }

  @Test
  void crossKeyProblemsAreReportedWithThePerKeyOnes() {
    Map<String, String> m = valid();
    m.remove("pg.user");
    m.put("source.key.columns", "public.audit:id");
    m.put("source.tables", "public.users,public.pgconvex_heartbeat");

    assertThatThrownBy(() -> SourceConfig.parse(m, k -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(3)
                    .anySatisfy(p -> assertThat(p).startsWith("pg.user: required"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("source.key.columns: table public.audit is not"))
                    .anySatisfy(p -> assertThat(p).contains("is the heartbeat table")));
  }

  @Test
  void passwordComesFromTheEnvironment() {
    Map<String, String> m = valid();
    m.remove("pg.password");
    Config config = SourceConfig.parse(m, k -> k.equals("PG_PASSWORD") ? "from-env" : null);
    assertThat(SourceSettings.from(config).password().reveal()).isEqualTo("from-env");
  }

  @Test
  void passThroughKeysAreKeptWithoutPrefix() {
    Map<String, String> m = valid();
    m.put("debezium.snapshot.fetch.size", "5000");
    m.put("kafka.security.protocol", "SSL");
    SourceSettings s = SourceSettings.from(SourceConfig.parse(m, k -> null));
    assertThat(s.debeziumProps()).isEqualTo(Map.of("snapshot.fetch.size", "5000"));
    assertThat(s.kafkaClientProps()).isEqualTo(Map.of("security.protocol", "SSL"));
  }

  @Test
  void everyKeyIsDocumented() {
    assertThat(SourceConfig.definition().toMarkdown())
        .contains("`pg.jdbc.url`", "`source.tables`", "`source.key.columns`", "PG_PASSWORD");
    assertThat(SourceConfig.SNAPSHOT_MODES).contains("initial");
    assertThat(List.copyOf(SourceConfig.definition().keys())).isNotEmpty();
  }

  @Test
  void signalTableMustBeNeitherCapturedNorTheHeartbeatTable() {
    Map<String, String> m = new HashMap<>();
    m.put("pg.jdbc.url", "jdbc:postgresql://localhost/app");
    m.put("pg.user", "cdc");
    m.put("source.tables", "public.users,public.pgconvex_signal");
    m.put("cdc.topic.prefix", "pfx");
    assertThatThrownBy(() -> SourceConfig.parse(m, k -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(p -> assertThat(p).contains("is the signal table")));
    m.put("source.tables", "public.users");
    m.put("source.signal.table", "public.pgconvex_heartbeat");
    assertThatThrownBy(() -> SourceConfig.parse(m, k -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(p -> assertThat(p).contains("also the heartbeat table")));
  }
}
