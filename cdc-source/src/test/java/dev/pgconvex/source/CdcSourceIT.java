package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.preflight.Preflight;
import dev.pgconvex.source.preflight.PreflightProblems;
import dev.pgconvex.source.preflight.SourcePreflightException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class CdcSourceIT {

  @Test
  void snapshotThenStreamingReachKafkaInOrderPerKey() throws Exception {
    ItSupport it = new ItSupport("stream");
    it.sql(
        "CREATE TABLE public.items (id int PRIMARY KEY, name text, price numeric(10,2))",
        "INSERT INTO public.items VALUES (1,'a',1.50),(2,'b',2.00),(3,'c',3.25)");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String topic = it.prefix + ".public.items";

    try (CdcSource source = new CdcSource(it.config("public.items"), registry);
        KafkaConsumer<String, String> consumer = ItSupport.consumer(topic)) {
      source.start();
      assertThat(source.health().up()).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(source::snapshotFinished);

      it.sql(
          "INSERT INTO public.items VALUES (4,'d',4.00)",
          "UPDATE public.items SET name = 'a2' WHERE id = 1",
          "DELETE FROM public.items WHERE id = 2");

      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                ItSupport.pollInto(consumer, got);
                return got.size() >= 7;
              });

      Map<String, List<String>> opsByKey = new LinkedHashMap<>();
      for (ConsumerRecord<String, String> r : got) {
        String op = r.value() == null ? "tombstone" : Json.parse(r.value()).get("op").asText();
        opsByKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(op);
      }
      assertThat(opsByKey)
          .containsEntry("{\"id\":1}", List.of("r", "u"))
          .containsEntry("{\"id\":2}", List.of("r", "d", "tombstone"))
          .containsEntry("{\"id\":3}", List.of("r"))
          .containsEntry("{\"id\":4}", List.of("c"))
          .hasSize(4);

      JsonNode update =
          got.stream()
              .filter(r -> r.key().equals("{\"id\":1}") && r.value() != null)
              .map(r -> Json.parse(r.value()))
              .filter(v -> v.get("op").asText().equals("u"))
              .findFirst()
              .orElseThrow();
      assertThat(update.fieldNames())
          .toIterable()
          .contains("before", "after", "source", "op", "ts_ms", "transaction");
      assertThat(update.get("after").get("name").asText()).isEqualTo("a2");
      assertThat(update.get("after").get("price").asText()).isEqualTo("1.50");
      assertThat(update.get("source").get("lsn").asLong()).isPositive();
      assertThat(update.get("transaction").get("id").asText()).isNotEmpty();

      // Transaction markers are forwarded to their own topic.
      try (KafkaConsumer<String, String> tx = ItSupport.consumer(it.prefix + ".transaction")) {
        List<ConsumerRecord<String, String>> markers = new ArrayList<>();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  ItSupport.pollInto(tx, markers);
                  return markers.stream().anyMatch(m -> m.value().contains("\"END\""));
                });
      }

      assertThat(
              registry
                  .get("pgconvex.source.events")
                  .tag("table", "public.items")
                  .tag("op", "read")
                  .counter()
                  .count())
          .isEqualTo(3);
      assertThat(registry.get("pgconvex.source.snapshot.rows").counter().count()).isEqualTo(3);

      // Every change committed before now is acknowledged once a later heartbeat commits.
      long walNow = Position.parseLsn(it.query("SELECT pg_current_wal_lsn()::text"));
      await().atMost(Duration.ofSeconds(20)).until(() -> source.ackedCommitLsn() >= walNow);
      await().atMost(Duration.ofSeconds(20)).until(() -> source.slotConfirmedFlushLsn() > 0);
      assertThat(registry.get("pgconvex.source.slot.lag.bytes").gauge().value())
          .isGreaterThanOrEqualTo(0);

      // A second source on the same slot is refused while this one runs.
      SourceSettings settings = source.settings();
      try (Connection c = it.connect()) {
        assertThat(Preflight.check(c, settings))
            .singleElement()
            .asString()
            .startsWith("replication slot '" + settings.slotName() + "' is in use by process ");
      }
    }
  }

  @Test
  void restartResumesFromStoredOffsetsWithoutGap() throws Exception {
    ItSupport it = new ItSupport("restart");
    it.sql("CREATE TABLE public.events (id int PRIMARY KEY, v text)");
    String topic = it.prefix + ".public.events";
    AtomicInteger nextId = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = it.connect();
                  var ps = c.prepareStatement("INSERT INTO public.events VALUES (?, 'x')")) {
                while (writing.get()) {
                  ps.setInt(1, nextId.incrementAndGet());
                  ps.executeUpdate();
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            },
            "writer");

    CdcSource first = new CdcSource(it.config("public.events"), new SimpleMeterRegistry());
    first.start();
    writer.start();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> first.currentLsn() > 0 && nextId.get() > 300);
    first.close(); // while the writer keeps committing
    first.close(); // idempotent
    assertThat(first.health().up()).isFalse();
    it.awaitSlotInactive();
    int writtenWhileDown = nextId.get();

    try (CdcSource second = new CdcSource(it.config("public.events"), new SimpleMeterRegistry());
        KafkaConsumer<String, String> consumer = ItSupport.consumer(topic)) {
      second.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> nextId.get() > writtenWhileDown + 300);
      writing.set(false);
      writer.join(10_000);
      int last = nextId.get() - 1; // the last increment may not have been committed
      Set<Integer> seen = new TreeSet<>();
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                got.clear();
                ItSupport.pollInto(consumer, got);
                for (ConsumerRecord<String, String> r : got) {
                  seen.add(Json.parse(r.key()).get("id").asInt());
                }
                return seen.size() >= last && seen.containsAll(range(1, last));
              });
      assertThat(seen).containsAll(range(1, last));
      assertThat(second.health().up()).isTrue();
    }
  }

  @Test
  void droppedSlotWithStoredOffsetsIsRefused() throws Exception {
    ItSupport it = new ItSupport("dropped");
    it.sql("CREATE TABLE public.t (id int PRIMARY KEY)", "INSERT INTO public.t VALUES (1)");
    try (CdcSource source = new CdcSource(it.config("public.t"), new SimpleMeterRegistry())) {
      source.start();
      await().atMost(Duration.ofSeconds(30)).until(source::snapshotFinished);
      // Let at least one offset commit reach the offsets topic.
      long acked = source.currentLsn();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> source.slotConfirmedFlushLsn() > 0 && acked > 0);
    }
    it.awaitSlotInactive();
    it.sql("SELECT pg_drop_replication_slot('" + it.slot + "')");

    CdcSource again = new CdcSource(it.config("public.t"), new SimpleMeterRegistry());
    assertThatThrownBy(again::start)
        .isInstanceOfSatisfying(
            SourcePreflightException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        PreflightProblems.slotMissingWithOffsets(it.slot, it.prefix + ".offsets")));
    assertThat(again.health().up()).isFalse();
    assertThat(again.health().detail()).contains("resync is needed");
    again.close();
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}
