package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Postgres restarts (fast shutdown, same port and data) while rows are being written: the source
 * either rides it out or fails, and a restarted source resumes from the stored position; either way
 * every committed row reaches Kafka.
 */
@Timeout(120)
class PostgresRestartIT {
  private EmbeddedPostgresServer pg;

  @BeforeEach
  void startPostgres() {
    pg =
        EmbeddedPostgresServer.builder(
                Path.of(System.getProperty("java.io.tmpdir"), TestNames.unique("pg-restart")))
            .build();
    pg.start();
    pg.createDatabase("app");
  }

  @AfterEach
  void closePostgres() {
    pg.close();
  }

  @Test
  void postgresRestartDuringLoadLeavesNoGap() throws Exception {
    try (Connection c = pg.connect("app");
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE public.t (id int PRIMARY KEY, v text)");
    }
    String prefix = TestNames.unique("pgrestart");
    Map<String, String> props = new HashMap<>();
    props.put("pg.jdbc.url", pg.jdbcUrl("app"));
    props.put("pg.user", pg.user());
    props.put("pg.password", pg.password().reveal());
    props.put("source.tables", "public.t");
    props.put("source.slot.name", TestNames.unique("slot"));
    props.put("source.heartbeat.interval.ms", "300");
    props.put("source.offsets.commit.interval.ms", "200");
    props.put("source.slot.lag.poll.interval.ms", "200");
    props.put("kafka.bootstrap.servers", SharedStack.kafka().bootstrapServers());
    props.put("cdc.topic.prefix", prefix);
    props.put("cdc.topic.partitions", "2");

    AtomicInteger nextId = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    AtomicInteger writeErrors = new AtomicInteger();
    Thread writer =
        new Thread(() -> write(nextId, writing, writeErrors, writerFailure), "pg-restart-writer");

    List<CdcSource> sources = new ArrayList<>();
    Set<Integer> seen = new TreeSet<>();
    try (KafkaConsumer<String, String> consumer = ItSupport.consumer(prefix + ".public.t")) {
      sources.add(newSource(props));
      writer.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> nextId.get() > 1_000);
      pg.restart();
      int idsAtRestart = nextId.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> nextId.get() > idsAtRestart + 1_000);
      writing.set(false);
      writer.join(10_000);
      assertThat(writerFailure.get()).isNull();
      Set<Integer> committed = committedIds();

      // A source that failed is replaced, as a supervisor would (systemd, Kubernetes).
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                CdcSource current = sources.get(sources.size() - 1);
                if (current.terminated().isDone()) {
                  current.close();
                  awaitSlotInactive(props.get("source.slot.name"));
                  sources.add(newSource(props));
                }
                List<ConsumerRecord<String, String>> got = new ArrayList<>();
                ItSupport.pollInto(consumer, got);
                got.stream()
                    .filter(r -> r.key() != null)
                    .forEach(r -> seen.add(Json.parse(r.key()).get("id").asInt()));
                return seen.containsAll(committed);
              });
      System.out.printf(
          "PostgresRestartIT: %d rows committed, %d write errors during the restart, %d source"
              + " instance(s)%n",
          committed.size(), writeErrors.get(), sources.size());
      assertThat(seen).containsAll(committed);
      assertThat(sources.get(sources.size() - 1).health().up()).isTrue();
    } finally {
      writing.set(false);
      sources.forEach(CdcSource::close);
    }
  }

  private static CdcSource newSource(Map<String, String> props) throws InterruptedException {
    CdcSource source =
        new CdcSource(SourceConfig.parse(props, k -> null), new SimpleMeterRegistry());
    source.start();
    return source;
  }

  /** Inserts 10-row transactions; reconnects after the restart (failed batches are re-tried). */
  private void write(
      AtomicInteger nextId,
      AtomicBoolean writing,
      AtomicInteger errors,
      AtomicReference<Throwable> failure) {
    Connection c = null;
    try {
      while (writing.get()) {
        try {
          if (c == null) {
            c = pg.connect("app");
            c.setAutoCommit(false);
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO public.t VALUES (?, 'x') ON CONFLICT (id) DO NOTHING")) {
            int from = nextId.get() + 1;
            for (int i = 0; i < 10; i++) {
              ps.setInt(1, from + i);
              ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
            nextId.set(from + 9);
          }
          Thread.sleep(2); // paces the load; not a wait for a condition
        } catch (SQLException e) {
          errors.incrementAndGet();
          closeQuietly(c);
          c = null;
          Thread.sleep(100); // back-off while Postgres restarts
        }
      }
    } catch (Exception e) {
      failure.set(e);
    } finally {
      closeQuietly(c);
    }
  }

  private Set<Integer> committedIds() throws SQLException {
    Set<Integer> ids = new TreeSet<>();
    try (Connection c = pg.connect("app");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM public.t")) {
      while (rs.next()) {
        ids.add(rs.getInt(1));
      }
    }
    return ids;
  }

  private void awaitSlotInactive(String slot) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              try (Connection c = pg.connect("app");
                  Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(
                          "SELECT active FROM pg_replication_slots WHERE slot_name = '"
                              + slot
                              + "'")) {
                return !rs.next() || !rs.getBoolean(1);
              }
            });
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // the connection is dead anyway
      }
    }
  }
}
