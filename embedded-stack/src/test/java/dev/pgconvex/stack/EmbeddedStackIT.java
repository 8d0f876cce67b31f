package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(180)
class EmbeddedStackIT {
  @Test
  void everythingEmbedded() throws Exception {
    Path dir = Path.of("target", "it", TestNames.unique("stack"));
    EmbeddedStack stack = new EmbeddedStack(StackSettings.builder().workDir(dir).build());
    try {
      long t0 = System.nanoTime();
      stack.start();
      System.out.printf("stack start took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertThat(stack.health().up()).isTrue();
      assertThat(stack.postgres()).isNotNull();
      assertThat(stack.kafka()).isNotNull();

      try (Connection c =
              DriverManager.getConnection(
                  stack.jdbcUrl(), stack.pgUser(), stack.pgPassword().reveal());
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW wal_level")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("logical");
      }
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
        assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
      }

      stack.kafka().stop();
      assertThat(stack.health().up()).isFalse();
      stack.kafka().start();
      assertThat(stack.health().up()).isTrue();
    } finally {
      stack.close();
    }
    assertThat(stack.health().up()).isFalse();
    assertThat(stack.postgres().isRunning()).isFalse();
    assertThat(stack.kafka().isRunning()).isFalse();
    assertThat(dir.resolve("postgres")).doesNotExist();
    assertThatThrownBy(stack::jdbcUrl).isInstanceOf(IllegalStateException.class);
    stack.close(); // idempotent
  }

  @Test
  void externalPartsAreUsedAsGivenAndNotStarted() {
    EmbeddedPostgresServer pg = SharedStack.postgres();
    Path dir = Path.of("target", "it", TestNames.unique("extstack"));
    try (EmbeddedStack stack =
        new EmbeddedStack(
            StackSettings.builder()
                .workDir(dir)
                .externalPostgres(pg.jdbcUrl("postgres"), pg.user(), pg.password())
                .externalKafka("127.0.0.1:1")
                .build())) {
      stack.start();
      assertThat(stack.jdbcUrl()).isEqualTo(pg.jdbcUrl("postgres"));
      assertThat(stack.pgUser()).isEqualTo("postgres");
      assertThat(stack.pgPassword()).isEqualTo(pg.password());
      assertThat(stack.bootstrapServers()).isEqualTo("127.0.0.1:1");
      assertThat(stack.postgres()).isNull();
      assertThat(stack.kafka()).isNull();
      assertThat(stack.health().up()).isTrue();
      assertThat(dir).doesNotExist();
    }
    assertThat(pg.isRunning()).isTrue();
  }

  @Test
  void accessorsSayWhenTheStackIsNotStarted() {
    try (EmbeddedStack stack =
        new EmbeddedStack(
            StackSettings.builder()
                .externalPostgres("jdbc:postgresql://127.0.0.1:1/x", "u", new Secret(""))
                .externalKafka("127.0.0.1:1")
                .build())) {
      assertThatThrownBy(stack::jdbcUrl).hasMessageContaining("not started");
      stack.start();
      assertThatThrownBy(stack::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void testcontainersPathWhenDockerIsThere() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        TestcontainersSupport.dockerAvailable(), "no Docker engine");
    try (EmbeddedStack stack =
        new EmbeddedStack(
            StackSettings.builder()
                .workDir(Path.of("target", "it", TestNames.unique("tcstack")))
                .useTestcontainers(true)
                .build())) {
      stack.start();
      assertThat(stack.postgres()).isNull();
      assertThat(stack.kafka()).isNull();
      assertThat(stack.jdbcUrl()).startsWith("jdbc:postgresql://");
      assertThat(stack.bootstrapServers()).isNotBlank();
    }
  }
}
