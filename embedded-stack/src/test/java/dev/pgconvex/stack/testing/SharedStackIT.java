package dev.pgconvex.stack.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class SharedStackIT {
  @Test
  void serversAreSharedAndStarted() {
    assertThat(SharedStack.postgres()).isSameAs(SharedStack.postgres());
    assertThat(SharedStack.kafka()).isSameAs(SharedStack.kafka());
    assertThat(SharedStack.postgres().isRunning()).isTrue();
    assertThat(SharedStack.kafka().isRunning()).isTrue();
  }

  @Test
  void freshDatabasesAreSeparate() throws Exception {
    String a = SharedStack.freshDatabase("shared");
    String b = SharedStack.freshDatabase("shared");
    assertThat(a).isNotEqualTo(b).startsWith("jdbc:postgresql://127.0.0.1:");
    var pg = SharedStack.postgres();
    try (Connection c = DriverManager.getConnection(a, pg.user(), pg.password().reveal());
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE only_in_a (id int)");
    }
    try (Connection c = DriverManager.getConnection(b, pg.user(), pg.password().reveal());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")) {
      rs.next();
      assertThat(rs.getInt(1)).isZero();
    }
  }

  @Test
  void kafkaTopicsCanBeCreated() throws Exception {
    String topic = TestNames.unique("shared_topic");
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", SharedStack.kafka().bootstrapServers()))) {
      admin
          .createTopics(List.of(new NewTopic(topic, 4, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
      // A created topic reaches the broker's metadata a moment after the controller acked it.
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(topic));
    }
  }

  @Test
  void convexEmulatorIsSharedAndAnswers() throws Exception {
    var emulator = SharedStack.convex();
    assertThat(SharedStack.convex()).isSameAs(emulator);
    assertThat(emulator.isAlive()).isTrue();
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(emulator.url() + "/version"))
                    .timeout(java.time.Duration.ofSeconds(10))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
  }
}
