package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.signal.ResyncSignal;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A resync (incremental snapshot through the signal table) while rows keep changing: every matching
 * row is re-read, and a read event's {@code source.lsn} orders it between the streamed changes of
 * its row (what the transformer's position relies on).
 */
@Timeout(120)
class ResyncIT {
  private static final int ROWS = 3000;

  @Test
  void resyncRereadsRowsWhileStreamingAndItsLsnOrdersThemAmongChanges() throws Exception {
    ItSupport it = new ItSupport("resync");
    it.sql(
        "CREATE TABLE public.acct (id int PRIMARY KEY, v int NOT NULL)",
        "INSERT INTO public.acct SELECT g, 0 FROM generate_series(1, " + ROWS + ") g");
    Map<String, String> props = it.props("public.acct");
    props.put("source.incremental.snapshot.chunk.size", "256");
    String topic = it.prefix + ".public.acct";
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = it.connect();
                  PreparedStatement ps =
                      c.prepareStatement("UPDATE public.acct SET v = v + 1 WHERE id = ?")) {
                while (writing.get()) {
                  ps.setInt(1, 1 + ThreadLocalRandom.current().nextInt(ROWS));
                  ps.executeUpdate();
                  Thread.sleep(1); // paces the load (~500 updates/s); not a wait for a condition
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            },
            "resync-writer");

    try (CdcSource source =
            new CdcSource(
                dev.pgconvex.source.config.SourceConfig.parse(props, k -> null),
                new SimpleMeterRegistry());
        KafkaConsumer<String, String> consumer = ItSupport.consumer(topic)) {
      source.start();
      await().atMost(Duration.ofSeconds(30)).until(source::snapshotFinished);
      writer.start();
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      try (Connection c = it.connect()) {
        new ResyncSignal(TableId.parse("public.acct"), "id <= 2000")
            .send(c, TableId.parse("public.pgconvex_signal"));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                ItSupport.pollInto(consumer, got);
                // Chunks go in key order; a row changed while its chunk is open is dropped from
                // the chunk (the streamed change supersedes it), so wait for the last few keys.
                return got.stream()
                        .filter(ResyncIT::isIncrementalRead)
                        .mapToInt(r -> Json.parse(r.key()).get("id").asInt())
                        .max()
                        .orElse(0)
                    >= 1990;
              });
      writing.set(false);
      writer.join(10_000);
      long walNow =
          dev.pgconvex.common.model.Position.parseLsn(
              it.query("SELECT pg_current_wal_lsn()::text"));
      await().atMost(Duration.ofSeconds(30)).until(() -> source.ackedCommitLsn() >= walNow);
      await()
          .atMost(Duration.ofSeconds(10))
          .pollDelay(Duration.ofMillis(500))
          .until(
              () -> {
                int before = got.size();
                ItSupport.pollInto(consumer, got);
                return got.size() == before;
              });

      // Per key, in topic order: a read's sequence[1] is at least the previous streamed change's
      // LSN and below the next one's (for transactions not open across the chunk's window); the
      // last value equals Postgres.
      Map<String, Long> lastChangeLsn = new HashMap<>();
      Map<String, Long> pendingReadLsn = new HashMap<>();
      Map<String, Integer> lastValue = new HashMap<>();
      List<String> violations = new ArrayList<>();
      int reads = 0;
      JsonNode sample = null;

      for (ConsumerRecord<String, String> r : got) {
        if (r.value() == null) {
          continue;
        }
        JsonNode v = Json.parse(r.value());
        String key = r.key();
        long lsn =
            isIncrementalRead(r)
                ? Json.parse(v.get("source").get("sequence").asText()).get(1).asLong()
                : v.get("source").get("lsn").asLong();
        lastValue.put(key, v.get("after").get("v").asInt());
        if (isIncrementalRead(r)) {
          reads++;
          sample = sample == null ? v : sample;
          Long prev = lastChangeLsn.get(key);
          if (prev != null && lsn < prev) {
            violations.add(key + ": read at " + lsn + " after change at " + prev);
          }
          pendingReadLsn.put(key, lsn);
        } else if ("u".equals(v.get("op").asText())) {

          Long read = pendingReadLsn.remove(key);
          if (read != null && read >= lsn) {
            violations.add(key + ": change at " + lsn + " after read at " + read);
          }
          lastChangeLsn.put(key, lsn);
        }
      }
      // What Debezium 3.6.3 puts on an incremental read (the transformer depends on it): no
      // source.lsn, no txId, no transaction block; source.sequence = [last commit LSN, LSN] of the
      // stream position where the chunk was emitted (its close watermark).
      assertThat(sample.get("source").get("lsn").isNull()).isTrue();
      assertThat(sample.get("transaction").isNull()).isTrue();
      assertThat(sample.get("op").asText()).isEqualTo("r");
      assertThat(reads).isGreaterThan(1000).isLessThanOrEqualTo(2000);
      assertThat(sample.get("source").get("snapshot").asText()).isEqualTo("incremental");
      assertThat(violations).isEmpty();
      try (Connection c = it.connect();
          var st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT id, v FROM public.acct")) {
        while (rs.next()) {
          assertThat(lastValue.get("{\"id\":" + rs.getInt(1) + "}"))
              .as("row %d", rs.getInt(1))
              .isEqualTo(rs.getInt(2));
        }
      }
    } finally {
      writing.set(false);
    }
  }

  private static boolean isIncrementalRead(ConsumerRecord<String, String> r) {
    return r.value() != null && r.value().contains("\"snapshot\":\"incremental\"");
  }
}
