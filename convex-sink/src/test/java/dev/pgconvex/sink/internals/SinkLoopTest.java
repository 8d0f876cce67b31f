package dev.pgconvex.sink.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.sink.batch.AimdLimiter;
import dev.pgconvex.sink.batch.Backoff;
import dev.pgconvex.sink.batch.BatchApplier;
import dev.pgconvex.sink.batch.BatchApplierTest;
import dev.pgconvex.sink.http.ConvexClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The consumer loop against MockConsumer, MockProducer and a fake applyBatch. */
@Timeout(30)
class SinkLoopTest {
  static final String OPS = "p.ops";
  static final TopicPartition P0 = new TopicPartition(OPS, 0);
  static final TopicPartition P1 = new TopicPartition(OPS, 1);

  MockWebServer server;
  ConvexClient client;
  RecordingConsumer consumer;

  /** Remembers the last offset committed per partition, whoever owns it now. */
  static final class RecordingConsumer extends MockConsumer<String, String> {
    final Map<TopicPartition, Long> lastCommitted = new java.util.concurrent.ConcurrentHashMap<>();

    RecordingConsumer() {
      super("earliest");
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
      offsets.forEach((tp, o) -> lastCommitted.put(tp, o.offset()));
      super.commitSync(offsets, timeout);
    }

    @Override
    public synchronized void commitAsync(
        Map<TopicPartition, OffsetAndMetadata> offsets,
        org.apache.kafka.clients.consumer.OffsetCommitCallback callback) {
      offsets.forEach((tp, o) -> lastCommitted.put(tp, o.offset()));
      super.commitAsync(offsets, callback);
    }
  }

  /** A producer whose first sends to a topic fail as Kafka fails them after delivery.timeout.ms. */
  static final class FlakyProducer extends MockProducer<String, String> {
    final Map<String, AtomicInteger> failNext = new java.util.concurrent.ConcurrentHashMap<>();

    FlakyProducer() {
      super(true, null, new StringSerializer(), new StringSerializer());
    }

    @Override
    public synchronized java.util.concurrent.Future<
            org.apache.kafka.clients.producer.RecordMetadata>
        send(
            ProducerRecord<String, String> record,
            org.apache.kafka.clients.producer.Callback callback) {
      AtomicInteger n = failNext.get(record.topic());
      if (n != null && n.getAndDecrement() > 0) {
        return java.util.concurrent.CompletableFuture.failedFuture(
            new org.apache.kafka.common.errors.TimeoutException(
                "Expiring 1 record(s) for " + record.topic() + "-0: 120000 ms has passed"));
      }
      return super.send(record, callback);
    }
  }

  FlakyProducer producer;
  ExecutorService workers;
  SinkLoop loop;
  Thread thread;
  Checkpointer checkpointer;
  SinkMetrics metrics;
  final AtomicInteger batches = new AtomicInteger();
  final AtomicInteger appliedCount = new AtomicInteger();
  volatile String lastCheckpointBody;
  final List<String> applyBodies = new java.util.concurrent.CopyOnWriteArrayList<>();
  volatile boolean unauthorized;
  final java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
  volatile boolean gated;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String body = request.getBody().clone().readUtf8();
            if (unauthorized) {
              return new MockResponse()
                  .setResponseCode(401)
                  .setBody("{\"code\":\"x\",\"message\":\"y\"}");
            }
            if (body.contains("setCheckpoint")) {
              lastCheckpointBody = body;
              String position = Json.parse(body).path("args").path("position").asText();
              return new MockResponse()
                  .setBody(
                      "{\"status\":\"success\",\"value\":{\"status\":\"applied\",\"position\":\""
                          + position
                          + "\"}}");
            }
            batches.incrementAndGet();
            applyBodies.add(body);
            if (gated) {
              try {
                gate.await(10, java.util.concurrent.TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return BatchApplierTest.fakeApplyBatch(request);
          }
        });
    server.start();
    client =
        new ConvexClient(
            server.url("/").toString(),
            new Secret("k"),
            Duration.ofSeconds(5),
            Duration.ofSeconds(2),
            4);
    consumer = new RecordingConsumer();
    producer = new FlakyProducer();
    workers = Executors.newFixedThreadPool(4);
    AimdLimiter limiter = new AimdLimiter(4);
    metrics = new SinkMetrics(new SimpleMeterRegistry(), () -> 0, limiter::limit);
    checkpointer = new Checkpointer(client, "src", 100);
    loop =
        new SinkLoop(
            new SinkLoop.Settings(
                OPS,
                "p.ids",
                "p.dlq",
                3,
                1 << 20,
                Duration.ofMillis(5),
                Duration.ofSeconds(5),
                Duration.ofMillis(100)),
            consumer,
            producer,
            new BatchApplier(client, limiter, new Backoff(1, 10), metrics),
            limiter,
            workers,
            metrics,
            checkpointer,
            ts -> appliedCount.incrementAndGet());
    consumer.schedulePollTask(
        () -> {
          consumer.rebalance(List.of(P0, P1));
          consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        });
    thread = new Thread(loop, "test-sink-loop");
    thread.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> loop.assignedPartitions() == 2);
  }

  @AfterEach
  void tearDown() throws Exception {
    loop.stop();
    thread.join(10_000);
    workers.shutdownNow();
    checkpointer.close();
    client.close();
    server.shutdown();
  }

  static String op(int n, String kind, String key) {
    return op(n, kind, key, 1000 + n);
  }

  static String op(int n, String kind, String key, long commitTs) {
    String doc = kind.equals("delete") ? "" : ",\"doc\":{\"n\":" + n + "}";
    return "{\"table\":\"items\",\"key\":\""
        + key
        + "\",\"op\":\""
        + kind
        + "\",\"position\":\""
        + String.format("%016X", n)
        + ":00000000\",\"commitTs\":"
        + commitTs
        + doc
        + "}";
  }

  /** The heartbeat op the transformer writes to {@code tp}. */
  static String heartbeat(TopicPartition tp, long lsn, long commitTs) {
    return Json.write(
        dev.pgconvex.common.model.Operation.heartbeat(
            tp.partition(), dev.pgconvex.common.model.Position.of(lsn, 0), commitTs));
  }

  void addHeartbeat(TopicPartition tp, long offset, long lsn, long commitTs) {
    consumer.schedulePollTask(
        () ->
            consumer.addRecord(
                new ConsumerRecord<>(
                    tp.topic(),
                    tp.partition(),
                    offset,
                    "_heartbeat/" + tp.partition(),
                    heartbeat(tp, lsn, commitTs))));
  }

  void add(TopicPartition tp, long offset, String value) {
    consumer.schedulePollTask(
        () ->
            consumer.addRecord(
                new ConsumerRecord<>(tp.topic(), tp.partition(), offset, "items/k", value)));
  }

  long committed(TopicPartition tp) {
    OffsetAndMetadata o = consumer.committed(Set.of(tp)).get(tp);
    return o == null ? -1 : o.offset();
  }

  @Test
  void appliesPublishesIdsAndCommitsOnlyWhatSucceeded() {
    for (int i = 0; i < 7; i++) {
      add(P0, i, op(i + 1, "upsert", "[" + (i + 1) + "]"));
    }
    add(P1, 0, op(20, "upsert", "[20]"));
    add(P1, 1, op(21, "delete", "[20]"));
    add(P1, 2, "{not json");
    add(P1, 3, op(22, "patch", "[0]"));

    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 7 && committed(P1) == 4);

    List<ProducerRecord<String, String>> sent = producer.history();
    List<ProducerRecord<String, String>> ids =
        sent.stream().filter(r -> r.topic().equals("p.ids")).toList();
    assertThat(ids).hasSize(9);
    ProducerRecord<String, String> first =
        ids.stream().filter(r -> r.key().equals("items/[1]")).findFirst().orElseThrow();
    assertThat(Json.parse(first.value()))
        .isEqualTo(Json.parse("{\"id\":\"id-[1]\",\"position\":\"0000000000000001:00000000\"}"));
    // Per partition, ids follow offsets.
    assertThat(
            ids.stream().filter(r -> r.key().matches("items/\\[[1-7]\\]")).map(ProducerRecord::key))
        .containsExactly(
            "items/[1]",
            "items/[2]",
            "items/[3]",
            "items/[4]",
            "items/[5]",
            "items/[6]",
            "items/[7]");
    assertThat(ids.stream().filter(r -> r.key().equals("items/[20]")).map(ProducerRecord::value))
        .containsExactly("{\"id\":\"id-[20]\",\"position\":\"0000000000000014:00000000\"}", null);
    List<DeadLetter> dlq =
        sent.stream()
            .filter(r -> r.topic().equals("p.dlq"))
            .map(r -> Json.MAPPER.convertValue(Json.parse(r.value()), DeadLetter.class))
            .toList();
    assertThat(dlq).extracting(DeadLetter::offset).containsExactly(2L, 3L);
    assertThat(dlq)
        .allSatisfy(
            d -> {
              assertThat(d.stage()).isEqualTo("sink");
              assertThat(d.topic()).isEqualTo(OPS);
              assertThat(d.partition()).isEqualTo(1);
            });
    assertThat(batches.get()).isGreaterThanOrEqualTo(3); // at most 3 ops a batch
    assertThat(loop.lastAppliedCommitTs()).isEqualTo(1021);
    assertThat(appliedCount).hasValue(9); // 7 + upsert + delete; not the 2 dead letters
    assertThat(metrics.deadLetters("items", "unreadable")).isEqualTo(1);
    assertThat(metrics.deadLetters("items", "missing")).isEqualTo(1);
    // Checkpoint: the lower of the partitions' last positions.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                lastCheckpointBody != null
                    && lastCheckpointBody.contains("0000000000000007:00000000"));
    assertThat(Json.parse(lastCheckpointBody).path("args").path("source").asText())
        .isEqualTo("src");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> "0000000000000007:00000000".equals(checkpointer.lastCheckpoint()));
  }

  @Test
  void heartbeatsAloneMakeNoCallYetCommitMoveTheCheckpointAndMeasureTheLag() {
    assertThat(loop.endToEndLagMs()).isEmpty(); // nothing applied yet: unknown, not 0
    long commitTs = System.currentTimeMillis() - 2_000;
    addHeartbeat(P0, 0, 0x100, commitTs);
    addHeartbeat(P1, 0, 0x100, commitTs);
    addHeartbeat(P0, 1, 0x200, commitTs + 1_000);
    addHeartbeat(P1, 1, 0x200, commitTs + 1_000);

    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 2 && committed(P1) == 2);

    assertThat(batches).hasValue(0);
    assertThat(metrics.heartbeatsTotal()).isEqualTo(4);
    assertThat(metrics.appliedTotal()).isZero();
    assertThat(metrics.skippedTotal()).isZero();
    assertThat(appliedCount).hasValue(0); // not an applied op for the listeners
    assertThat(loop.lastAppliedCommitTs()).isZero(); // rows only
    assertThat(producer.history()).isEmpty(); // no ids record, no dead letter
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(loop.endToEndLagMs()).isPresent());
    assertThat(loop.endToEndLagMs().getAsLong()).isBetween(1_000L, 30_000L);
    // Applied in Convex observed while idle: the checkpoint carries the heartbeat's commit time.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                lastCheckpointBody != null
                    && lastCheckpointBody.contains("0000000000000200:00000000"));
    assertThat(Json.parse(lastCheckpointBody).path("args").path("commitTs").asLong())
        .isEqualTo(commitTs + 1_000);
  }

  @Test
  void aMixedBatchSendsOnlyItsRowsAndTheHeartbeatCountsOnceTheRowsAreApplied() {
    long now = System.currentTimeMillis();
    add(P0, 0, op(1, "upsert", "[1]"));
    addHeartbeat(P0, 1, 2, now - 500);
    add(P0, 2, op(3, "upsert", "[3]"));
    addHeartbeat(P1, 0, 2, now - 500);

    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 3 && committed(P1) == 1);

    assertThat(applyBodies)
        .isNotEmpty()
        .allSatisfy(b -> assertThat(b).doesNotContain("heartbeat").doesNotContain("_heartbeat"));
    assertThat(
            applyBodies.stream().mapToInt(b -> Json.parse(b).path("args").path("ops").size()).sum())
        .isEqualTo(2);
    assertThat(metrics.appliedTotal()).isEqualTo(2);
    assertThat(metrics.heartbeatsTotal()).isEqualTo(2);
    assertThat(appliedCount).hasValue(2);
    assertThat(producer.history())
        .filteredOn(r -> r.topic().equals("p.ids"))
        .extracting(ProducerRecord::key)
        .containsExactly("items/[1]", "items/[3]");
  }

  @Test
  void theSlowestPartitionDecidesTheEndToEndLag() {
    long now = System.currentTimeMillis();
    addHeartbeat(P0, 0, 0x100, now - 60_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 1);
    // P1 has nothing applied yet: the slowest partition is unknown, so is the lag.
    assertThat(loop.endToEndLagMs()).isEmpty();

    add(P1, 0, op(0x200, "upsert", "[1]", now - 1_000));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(loop.endToEndLagMs()).isPresent());
    assertThat(loop.endToEndLagMs().getAsLong()).isBetween(60_000L, 90_000L);

    // P0 catches up: now P1 (1 s behind) is the slowest.
    addHeartbeat(P0, 1, 0x300, now);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(loop.endToEndLagMs().getAsLong()).isLessThan(30_000L));
    assertThat(loop.endToEndLagMs().getAsLong()).isGreaterThanOrEqualTo(1_000L);

    // A partition taken away no longer counts; none assigned: unknown.
    consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
    await().atMost(Duration.ofSeconds(10)).until(() -> loop.assignedPartitions() == 0);
    assertThat(loop.endToEndLagMs()).isEmpty();

    // Handed back (an eager rebalance): what was applied stays known.
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0, P1)));
    await().atMost(Duration.ofSeconds(10)).until(() -> loop.assignedPartitions() == 2);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(loop.endToEndLagMs()).isPresent());
    assertThat(loop.endToEndLagMs().getAsLong()).isBetween(1_000L, 30_000L);
  }

  @Test
  void aPartitionStartsFromTheCheckpointConvexHeldSoAStalledChainShowsAGrowingLag()
      throws Exception {
    loop.stop();
    thread.join(10_000);
    long stored = System.currentTimeMillis() - 30_000;
    RecordingConsumer second = new RecordingConsumer();
    AimdLimiter limiter = new AimdLimiter(4);
    SinkLoop restarted =
        new SinkLoop(
            new SinkLoop.Settings(
                OPS,
                "p.ids",
                "p.dlq",
                3,
                1 << 20,
                Duration.ofMillis(5),
                Duration.ofSeconds(5),
                Duration.ofMillis(100)),
            second,
            producer,
            new BatchApplier(client, limiter, new Backoff(1, 10), metrics),
            limiter,
            workers,
            metrics,
            checkpointer,
            ts -> {},
            stored);
    second.schedulePollTask(
        () -> {
          second.rebalance(List.of(P0, P1));
          second.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        });
    Thread t = new Thread(restarted, "test-sink-loop-restarted");
    t.start();
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> restarted.assignedPartitions() == 2);
      // Nothing arrives (the transformer is down), yet the lag is known and at least 30 s.
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(restarted.endToEndLagMs()).isPresent());
      long first = restarted.endToEndLagMs().getAsLong();
      assertThat(first).isGreaterThanOrEqualTo(30_000L);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> restarted.endToEndLagMs().getAsLong() >= first + 200);
    } finally {
      restarted.stop();
      t.join(10_000);
    }
  }

  @Test
  void aRejectedOpAndAnAppliedOpWithoutIdAreCountedPerTableAndTheRestFlows() {
    add(P0, 0, op(1, "upsert", "[poison]"));
    add(P0, 1, op(2, "upsert", "[noid]"));
    add(P0, 2, op(3, "upsert", "[3]"));

    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 3);

    assertThat(metrics.deadLetters("items", "rejected")).isEqualTo(1);
    assertThat(metrics.idsSkipped("items")).isEqualTo(1);
    assertThat(producer.history())
        .filteredOn(r -> r.topic().equals("p.ids"))
        .extracting(ProducerRecord::key)
        .containsExactly("items/[3]");
    assertThat(producer.history())
        .filteredOn(r -> r.topic().equals("p.dlq"))
        .singleElement()
        .satisfies(r -> assertThat(r.value()).contains("Convex rejected upsert of items/[poison]"));
  }

  @Test
  void unauthorizedStopsTheLoopWithoutCommitting() throws Exception {
    unauthorized = true;
    add(P0, 0, op(1, "upsert", "[1]"));
    thread.join(10_000);
    assertThat(thread.isAlive()).isFalse();
    assertThat(loop.failure()).hasMessageContaining("(401)");
    assertThat(committed(P0)).isEqualTo(-1);
  }

  @Test
  void aPartitionWithAFullBatchWaitingIsPausedUntilItDrains() {
    gated = true;
    for (int i = 0; i < 10; i++) {
      add(P0, i, op(i + 1, "upsert", "[" + (i + 1) + "]"));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> consumer.paused().contains(P0));
    assertThat(consumer.paused()).doesNotContain(P1);
    assertThat(committed(P0)).isEqualTo(-1);
    gate.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 10);
    await().atMost(Duration.ofSeconds(5)).until(() -> consumer.paused().isEmpty());
  }

  @Test
  void revokedPartitionsFinishTheirInFlightBatchAndCommitIt() {
    gated = true;
    consumer.schedulePollTask(
        () -> {
          consumer.addRecord(new ConsumerRecord<>(OPS, 0, 0, "items/[1]", op(1, "upsert", "[1]")));
          consumer.addRecord(new ConsumerRecord<>(OPS, 0, 1, "items/[2]", op(2, "upsert", "[2]")));
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> batches.get() >= 1);
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(P1)));
    // The revocation waits, on the consumer thread, for P0's batch (MockConsumer is locked
    // meanwhile, so look at the thread instead).
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                java.util.Arrays.stream(thread.getStackTrace())
                    .anyMatch(e -> e.getMethodName().equals("onPartitionsRevoked")));
    assertThat(loop.assignedPartitions()).isEqualTo(2);
    gate.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> loop.assignedPartitions() == 1);
    // MockConsumer reports 0 for a committed partition it no longer owns: look at the commit.
    assertThat(consumer.lastCommitted.get(P0)).isEqualTo(2);
  }

  @Test
  void stopCommitsWhatSucceeded() throws Exception {
    add(P0, 0, op(1, "upsert", "[1]"));
    await().atMost(Duration.ofSeconds(10)).until(() -> committed(P0) == 1);
    loop.stop();
    thread.join(10_000);
    assertThat(thread.isAlive()).isFalse();
    assertThat(loop.failure()).isNull();
  }

  @Test
  void idsAndDeadLettersKafkaGaveUpOnAreSentAgainNotLostNorDuplicated() {
    producer.failNext.put("p.ids", new AtomicInteger(1));
    producer.failNext.put("p.dlq", new AtomicInteger(1));
    add(P1, 0, op(20, "upsert", "[20]"));
    add(P1, 1, op(21, "delete", "[20]"));
    add(P1, 2, "{not json");

    await().atMost(Duration.ofSeconds(20)).until(() -> committed(P1) == 3);

    assertThat(loop.failure()).isNull();
    List<ProducerRecord<String, String>> ids =
        producer.history().stream().filter(r -> r.topic().equals("p.ids")).toList();
    // the upsert's id failed: it and the tombstone after it went again, in order, so the
    // compacted topic ends on the tombstone
    assertThat(ids.get(ids.size() - 1).key()).isEqualTo("items/[20]");
    assertThat(ids.get(ids.size() - 1).value()).isNull();
    assertThat(ids.stream().filter(r -> r.value() != null).map(ProducerRecord::value))
        .containsExactly("{\"id\":\"id-[20]\",\"position\":\"0000000000000014:00000000\"}");
    assertThat(producer.history().stream().filter(r -> r.topic().equals("p.dlq"))).hasSize(1);
  }
}
