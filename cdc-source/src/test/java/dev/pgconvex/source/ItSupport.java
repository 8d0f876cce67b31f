package dev.pgconvex.source;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Shared helpers of the source's integration tests: a fresh database and names per test. */
final class ItSupport {
  final String jdbcUrl;
  final String prefix;
  final String slot;
  final String publication;

  ItSupport(String name) {
    this.jdbcUrl = SharedStack.freshDatabase(name);
    this.prefix = TestNames.unique(name);
    this.slot = TestNames.unique("slot");
    this.publication = TestNames.unique("pub");
  }

  /** Source properties for this test's database, names and the given tables. */
  Map<String, String> props(String tables) {
    Map<String, String> m = new HashMap<>();
    m.put("pg.jdbc.url", jdbcUrl);
    m.put("pg.user", SharedStack.postgres().user());
    m.put("pg.password", SharedStack.postgres().password().reveal());
    m.put("source.tables", tables);
    m.put("source.slot.name", slot);
    m.put("source.publication.name", publication);
    m.put("source.heartbeat.interval.ms", "300");
    m.put("source.offsets.commit.interval.ms", "200");
    m.put("source.slot.lag.poll.interval.ms", "200");
    m.put("kafka.bootstrap.servers", SharedStack.kafka().bootstrapServers());
    m.put("cdc.topic.prefix", prefix);
    m.put("cdc.topic.partitions", "2");
    return m;
  }

  Config config(String tables) {
    return SourceConfig.parse(props(tables), k -> null);
  }

  Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", SharedStack.postgres().user());
    p.setProperty("password", SharedStack.postgres().password().reveal());
    return DriverManager.getConnection(jdbcUrl, p);
  }

  void sql(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  String query(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Waits until the source's slot exists and no walsender reads it (the source let go of it). */
  void awaitSlotInactive() {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "f"
                    .equals(
                        query(
                            "SELECT active FROM pg_replication_slots WHERE slot_name = '"
                                + slot
                                + "'")));
  }

  /**
   * Reads {@code topic} of the broker at {@code bootstrap} from the beginning until the {@code id}s
   * of the record keys seen satisfy {@code done} (at most 60 s).
   *
   * @return the ids seen
   */
  static java.util.Set<Integer> awaitIds(
      String bootstrap, String topic, java.util.function.Predicate<java.util.Set<Integer>> done) {
    java.util.Set<Integer> seen = new java.util.TreeSet<>();
    try (KafkaConsumer<String, String> c = consumer(bootstrap, topic)) {
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                  seen.add(dev.pgconvex.common.json.Json.parse(r.key()).get("id").asInt());
                }
                return done.test(seen);
              });
    }
    return seen;
  }

  /** A consumer of {@code topic} from the beginning, keys and values as text. */
  static KafkaConsumer<String, String> consumer(String topic) {
    return consumer(SharedStack.kafka().bootstrapServers(), topic);
  }

  /** As {@link #consumer(String)}, on the broker at {@code bootstrap}. */
  static KafkaConsumer<String, String> consumer(String bootstrap, String topic) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, TestNames.unique("it"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    c.subscribe(List.of(topic));
    return c;
  }

  /** Polls once (short) and appends what came. */
  static void pollInto(KafkaConsumer<String, String> c, List<ConsumerRecord<String, String>> out) {
    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
      out.add(r);
    }
  }

  static List<ConsumerRecord<String, String>> newList() {
    return new ArrayList<>();
  }
}
