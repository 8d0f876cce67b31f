package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Position;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(90)
class HeartbeatIT {
  @Test
  void heartbeatsMoveTheSlotWhileCapturedTablesAreIdle() throws Exception {
    ItSupport it = new ItSupport("heartbeat");
    it.sql(
        "CREATE TABLE public.quiet (id int PRIMARY KEY)",
        "CREATE TABLE public.busy (id serial PRIMARY KEY, payload text)");

    try (CdcSource source = new CdcSource(it.config("public.quiet"), new SimpleMeterRegistry())) {
      source.start();
      await().atMost(Duration.ofSeconds(30)).until(source::snapshotFinished);

      // Only a table outside the publication changes: its WAL must not stay pinned by the slot.
      for (int i = 0; i < 20; i++) {
        it.sql(
            "INSERT INTO public.busy (payload) SELECT repeat('x', 500) FROM generate_series(1, 200)");
      }
      long walAfterBusy = Position.parseLsn(it.query("SELECT pg_current_wal_lsn()::text"));
      String slotQuery =
          "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
              + it.slot
              + "'";
      assertThat(Position.parseLsn(it.query(slotQuery))).isLessThan(walAfterBusy);

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Position.parseLsn(it.query(slotQuery)) >= walAfterBusy);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> source.slotConfirmedFlushLsn() >= walAfterBusy);
      assertThat(source.ackedCommitLsn()).isGreaterThanOrEqualTo(walAfterBusy);
      assertThat(source.health().up()).isTrue();
    }
  }

  @Test
  void eachHeartbeatReachesTheHeartbeatsTopicWithItsCommitTimeAndLsn() throws Exception {
    ItSupport it = new ItSupport("heartbeats");
    it.sql("CREATE TABLE public.idle (id int PRIMARY KEY)");
    long started = System.currentTimeMillis();
    try (CdcSource source = new CdcSource(it.config("public.idle"), new SimpleMeterRegistry());
        var consumer = ItSupport.consumer(new Topics(it.prefix).heartbeats())) {
      source.start();
      List<ConsumerRecord<String, String>> beats = ItSupport.newList();
      // Heartbeats every 300 ms: a few arrive while the captured table stays idle.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                ItSupport.pollInto(consumer, beats);
                return beats.size() >= 3;
              });
      long previousLsn = 0;
      for (ConsumerRecord<String, String> r : beats) {
        JsonNode beat = Json.parse(r.value());
        assertThat(r.key()).isNull();
        assertThat(beat.get("commitTs").asLong())
            .isBetween(started - 60_000, System.currentTimeMillis() + 60_000);
        assertThat(beat.get("lsn").asLong()).isGreaterThan(previousLsn);
        previousLsn = beat.get("lsn").asLong();
      }
      assertThat(source.health().up()).isTrue();
    }
  }
}
