package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StackSettingsTest {
  @Test
  void defaultsEmbedEverything() {
    StackSettings s = StackSettings.parse(Map.of());
    assertThat(s.workDir()).isEqualTo(Path.of("target", "stack"));
    assertThat(s.postgresJdbcUrl()).isNull();
    assertThat(s.kafkaBootstrapServers()).isNull();
    assertThat(s.convexEnabled()).isTrue();
    assertThat(s.convexUrl()).isNull();
    assertThat(s.useTestcontainers()).isFalse();
    assertThat(s.startTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.toString()).contains("postgres=embedded", "kafka=embedded", "convex=emulator");
  }

  @Test
  void externalServersAreRead() {
    StackSettings s =
        StackSettings.parse(
            Map.of(
                StackSettings.POSTGRES_JDBC_URL, "jdbc:postgresql://db:5432/app",
                StackSettings.POSTGRES_USER, "cdc",
                StackSettings.POSTGRES_PASSWORD, "pg-secret",
                StackSettings.KAFKA_BOOTSTRAP_SERVERS, "k1:9092,k2:9092",
                StackSettings.CONVEX_URL, "https://x.convex.cloud",
                StackSettings.CONVEX_ADMIN_KEY, "admin-secret",
                StackSettings.WORK_DIR, "/tmp/w",
                StackSettings.START_TIMEOUT_MS, "5000"));
    assertThat(s.postgresJdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/app");
    assertThat(s.postgresUser()).isEqualTo("cdc");
    assertThat(s.postgresPassword().reveal()).isEqualTo("pg-secret");
    assertThat(s.kafkaBootstrapServers()).isEqualTo("k1:9092,k2:9092");
    assertThat(s.convexUrl()).isEqualTo("https://x.convex.cloud");
    assertThat(s.convexAdminKey().reveal()).isEqualTo("admin-secret");
    assertThat(s.startTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.toString()).doesNotContain("pg-secret", "admin-secret");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                StackSettings.parse(
                    Map.of(
                        StackSettings.POSTGRES_JDBC_URL,
                        "mysql://nope",
                        StackSettings.CONVEX_URL,
                        "ftp://x",
                        StackSettings.START_TIMEOUT_MS,
                        "10",
                        "stack.typo",
                        "1")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(4)
                    .anySatisfy(p -> assertThat(p).startsWith(StackSettings.POSTGRES_JDBC_URL))
                    .anySatisfy(p -> assertThat(p).startsWith(StackSettings.CONVEX_URL))
                    .anySatisfy(p -> assertThat(p).startsWith(StackSettings.START_TIMEOUT_MS))
                    .anySatisfy(p -> assertThat(p).startsWith("stack.typo")));
  }

  @Test
  void externalConvexNeedsAnAdminKey() {
    assertThatThrownBy(
            () ->
                StackSettings.parse(
                    Map.of(StackSettings.CONVEX_URL, "http://127.0.0.1:3210"), k -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StackSettings.CONVEX_ADMIN_KEY);
  }

  @Test
  void builderSetsExternalParts() {
    StackSettings s =
        StackSettings.builder()
            .externalConvex("http://c", new Secret("k"))
            .convexEnabled(true)
            .useTestcontainers(true)
            .build();
    assertThat(s.convexUrl()).isEqualTo("http://c");
    assertThat(s.useTestcontainers()).isTrue();
  }
}
