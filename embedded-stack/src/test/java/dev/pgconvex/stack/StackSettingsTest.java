package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StackSettingsTest {
  @Test
  void defaultsEmbedEverything() {
    StackSettings s = StackSettings.defaults();
    assertThat(s.workDir()).isEqualTo(Path.of("target", "stack"));
    assertThat(s.postgresJdbcUrl()).isNull();
    assertThat(s.kafkaBootstrapServers()).isNull();
    assertThat(s.useTestcontainers()).isFalse();
    assertThat(s.keepData()).isFalse();
    assertThat(s.startTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(s.toString()).contains("postgres=embedded", "kafka=embedded");
  }

  @Test
  void builderSetsExternalPartsAndHidesThePassword() {
    StackSettings s =
        StackSettings.builder()
            .externalPostgres("jdbc:postgresql://db:5432/app", "cdc", new Secret("pg-secret"))
            .externalKafka("k1:9092,k2:9092")
            .useTestcontainers(true)
            .build();
    assertThat(s.postgresJdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/app");
    assertThat(s.postgresUser()).isEqualTo("cdc");
    assertThat(s.postgresPassword().reveal()).isEqualTo("pg-secret");
    assertThat(s.kafkaBootstrapServers()).isEqualTo("k1:9092,k2:9092");
    assertThat(s.useTestcontainers()).isTrue();
    assertThat(s.toString())
        .contains("jdbc:postgresql://db:5432/app as cdc")
        .doesNotContain("pg-secret");
  }
}
