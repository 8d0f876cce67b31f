package dev.pgconvex.source.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.config.SourceSettings;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class KafkaChangeConsumerTest {
  private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
  private static final Schema ROW =
      SchemaBuilder.struct()
          .optional()
          .field("id", Schema.INT32_SCHEMA)
          .field("note", SchemaBuilder.string().optional().defaultValue("dflt").build())
          .build();
  private static final Schema SOURCE =
      SchemaBuilder.struct()
          .field("ts_ms", Schema.INT64_SCHEMA)
          .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .build();
  private static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .field("before", ROW)
          .field("after", ROW)
          .field("source", SOURCE)
          .field("op", Schema.STRING_SCHEMA)
          .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
          .build();

  private final SourceSettings settings = EnginePropertiesTest.settings(Map.of());
  private final SourceProgress progress = new SourceProgress();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SourceMetrics metrics = new SourceMetrics(registry, progress);
  private final Committer committer = new Committer();
  private final List<SourceDeliveryException> failures = new ArrayList<>();

  private static RecordChangeEvent<SourceRecord> change(
      String topic, int id, String op, String snapshot, long lsn, Long commitLsn, String note) {
    Struct row = new Struct(ROW).put("id", id).put("note", note);
    Struct source =
        new Struct(SOURCE)
            .put("ts_ms", 1_700_000_000_000L)
            .put("snapshot", snapshot)
            .put("lsn", lsn);
    Struct value =
        new Struct(ENVELOPE)
            .put("before", op.equals("d") ? row : null)
            .put("after", op.equals("d") ? null : row)
            .put("source", source)
            .put("op", op)
            .put("ts_ms", 1_700_000_000_100L);
    Map<String, Object> offset =
        commitLsn == null ? Map.of("lsn", lsn) : Map.of("lsn", lsn, "lsn_commit", commitLsn);
    SourceRecord r =
        new SourceRecord(
            Map.of("server", "pfx"),
            offset,
            topic,
            null,
            KEY,
            new Struct(KEY).put("id", id),
            ENVELOPE,
            value);
    return () -> r;
  }

  private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
    return new MockProducer<>(
        autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private KafkaChangeConsumer consumer(MockProducer<byte[], byte[]> producer) {
    return new KafkaChangeConsumer(producer, settings, progress, metrics, failures::add);
  }

  private static RecordChangeEvent<SourceRecord> tombstone(String topic, int id, long lsn) {
    SourceRecord r =
        new SourceRecord(
            Map.of("server", "pfx"),
            Map.of("lsn", lsn),
            topic,
            null,
            KEY,
            new Struct(KEY).put("id", id),
            null,
            null);
    return () -> r;
  }

  @Test
  void sendsJsonWithoutSchemasAndMarksOnlyAfterAcknowledgement() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(true);
    KafkaChangeConsumer consumer = consumer(producer);
    var batch =
        List.of(
            change("pfx.public.users", 1, "r", "last", 100, null, "a"),
            change("pfx.public.users", 1, "u", "false", 200, 150L, null),
            change("pfx.public.users", 1, "d", "false", 300, 250L, "a"),
            tombstone("pfx.public.users", 1, 300),
            change("pfx.public.pgconvex_heartbeat", 1, "u", "false", 400, 350L, null),
            change("pfx.public.pgconvex_signal", 1, "c", "false", 450, 350L, null),
            tombstone("__debezium-heartbeat.pfx", 0, 500));

    consumer.handleBatch(batch, committer);

    var sent =
        producer.history().stream().filter(r -> r.topic().equals("pfx.public.users")).toList();
    assertThat(sent).hasSize(4);
    // The heartbeat-table change goes to the heartbeats topic only; the rest stays out of Kafka.
    assertThat(producer.history())
        .extracting(ProducerRecord::topic)
        .containsOnly("pfx.public.users", "pfx.heartbeats");
    assertThat(new String(sent.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":1}");
    var first = Json.parse(sent.get(0).value());
    assertThat(first.get("op").asText()).isEqualTo("r");
    assertThat(first.get("after").get("id").asInt()).isEqualTo(1);
    assertThat(first.has("schema")).isFalse();
    // A NULL stays NULL even when the column has a default.
    assertThat(Json.parse(sent.get(1).value()).get("after").get("note").isNull()).isTrue();
    assertThat(sent.get(3).value()).isNull();

    assertThat(committer.marked).hasSize(7);
    assertThat(committer.batchesFinished).isEqualTo(1);
    assertThat(progress.lastLsn()).isEqualTo(500);
    assertThat(progress.ackedCommitLsn()).isEqualTo(350);
    assertThat(progress.snapshotFinished()).isTrue();
    assertThat(progress.lastSourceTsMs()).isEqualTo(1_700_000_000_000L);
    assertThat(
            registry
                .get("pgconvex.source.events")
                .tag("table", "public.users")
                .tag("op", "read")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("pgconvex.source.events").tag("op", "tombstone").counter().count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("pgconvex.source.snapshot.rows")
                .tag("table", "public.users")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .find("pgconvex.source.events")
                .tag("table", "public.pgconvex_heartbeat")
                .counter())
        .isNull();
    // Not forwarded by design, but counted.
    assertThat(
            registry
                .get("pgconvex.source.internal.records")
                .tag("kind", "heartbeat_table")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("pgconvex.source.internal.records")
                .tag("kind", "heartbeat")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("pgconvex.source.internal.records")
                .tag("kind", "signal_table")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void aStreamedHeartbeatTableChangeBecomesAHeartbeatWithItsCommitTimeAndLsn() throws Exception {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    KafkaChangeConsumer consumer =
        new KafkaChangeConsumer(producer, settings, progress, metrics, failures::add);

    consumer.handleBatch(
        List.of(
            change("pfx.public.pgconvex_heartbeat", 1, "r", "last", 10, null, null),
            change("pfx.public.pgconvex_heartbeat", 1, "c", "false", 600, 590L, null),
            change("pfx.public.pgconvex_heartbeat", 1, "u", "false", 700, 690L, null)),
        committer);

    // The snapshot read is no commit: only the two streamed changes become heartbeats.
    assertThat(producer.history())
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.topic()).isEqualTo(settings.topics().heartbeats());
              assertThat(r.key()).isNull();
            });
    assertThat(Json.parse(producer.history().get(1).value()))
        .isEqualTo(Json.parse("{\"commitTs\":1700000000000,\"lsn\":700}"));
    assertThat(committer.marked).hasSize(3);
    assertThat(progress.ackedCommitLsn()).isEqualTo(690);
    // Still counted as an internal record, never as a table event.
    assertThat(
            registry
                .get("pgconvex.source.internal.records")
                .tag("kind", "heartbeat_table")
                .counter()
                .count())
        .isEqualTo(3);
    assertThat(registry.find("pgconvex.source.events").counters()).isEmpty();
  }

  @Test
  void anUnacknowledgedHeartbeatFailsTheBatchLikeAnyChange() {
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    KafkaChangeConsumer consumer =
        new KafkaChangeConsumer(producer, settings, progress, metrics, failures::add);
    Thread completer =
        new Thread(
            () -> {
              org.awaitility.Awaitility.await()
                  .atMost(java.time.Duration.ofSeconds(5))
                  .until(() -> producer.history().size() == 1);
              producer.errorNext(
                  new org.apache.kafka.common.errors.TimeoutException("broker gone"));
            });
    completer.start();

    assertThatThrownBy(
            () ->
                consumer.handleBatch(
                    List.of(
                        change("pfx.public.pgconvex_heartbeat", 1, "u", "false", 800, 790L, null)),
                    committer))
        .isInstanceOf(SourceDeliveryException.class)
        .hasMessageContaining("pfx.public.pgconvex_heartbeat");
    assertThat(committer.marked).isEmpty();
  }

  /** A TRUNCATE as Debezium emits it: no key, no row images, op "t". */
  private static RecordChangeEvent<SourceRecord> truncate(String topic, long lsn, long commitLsn) {
    Struct source =
        new Struct(SOURCE)
            .put("ts_ms", 1_700_000_000_000L)
            .put("snapshot", "false")
            .put("lsn", lsn);
    Struct value =
        new Struct(ENVELOPE).put("source", source).put("op", "t").put("ts_ms", 1_700_000_000_100L);
    SourceRecord r =
        new SourceRecord(
            Map.of("server", "pfx"),
            Map.of("lsn", lsn, "lsn_commit", commitLsn),
            topic,
            null,
            null,
            null,
            ENVELOPE,
            value);
    return () -> r;
  }

  @Test
  void aTruncateIsForwardedWithoutAKeyAndCounted() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(true);
    KafkaChangeConsumer consumer = consumer(producer);

    consumer.handleBatch(List.of(truncate("pfx.shop.orders", 700, 690L)), committer);

    assertThat(producer.history())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.topic()).isEqualTo("pfx.shop.orders");
              assertThat(r.key()).isNull();
              assertThat(Json.parse(r.value()).get("op").asText()).isEqualTo("t");
            });
    assertThat(
            registry
                .get("pgconvex.source.events")
                .tag("table", "shop.orders")
                .tag("op", "truncate")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(committer.marked).hasSize(1);
  }

  @Test
  void aPartitionTruncateMessageBecomesATruncateOfTheParent() throws Exception {
    RecordChangeEvent<SourceRecord> r =
        message(PartitionTruncateWatch.MESSAGE_PREFIX, "shop.orders|shop.orders_2024", 800);
    MockProducer<byte[], byte[]> producer = producer(true);
    KafkaChangeConsumer consumer = consumer(producer);

    consumer.handleBatch(List.of(r), committer);

    assertThat(producer.history())
        .extracting(ProducerRecord::topic)
        .containsExactly(settings.messageTopic(), "pfx.shop.orders");
    var truncate = Json.parse(producer.history().get(1).value());
    assertThat(truncate.get("op").asText()).isEqualTo("t");
    assertThat(truncate.get("partition").asText()).isEqualTo("shop.orders_2024");
    assertThat(truncate.get("source").get("table").asText()).isEqualTo("orders");
    assertThat(producer.history().get(1).key()).isNull();
    assertThat(committer.marked).hasSize(1);

    // Any other message is forwarded alone.
    RecordChangeEvent<SourceRecord> o = message("cutover", "", 801);
    consumer.handleBatch(List.of(o), committer);
    assertThat(producer.history()).hasSize(3);
  }

  /** A logical decoding message as Debezium gives it (content base64, binary.handling.mode). */
  private RecordChangeEvent<SourceRecord> message(String prefix, String content, long lsn) {
    Schema messageSchema =
        SchemaBuilder.struct()
            .field("prefix", Schema.STRING_SCHEMA)
            .field("content", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    Schema envelope =
        SchemaBuilder.struct()
            .field("op", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .field("source", SOURCE)
            .field("message", messageSchema)
            .build();
    Struct value =
        new Struct(envelope)
            .put("op", "m")
            .put("ts_ms", 1L)
            .put("source", new Struct(SOURCE).put("ts_ms", 1_700_000_000_000L).put("lsn", lsn))
            .put(
                "message",
                new Struct(messageSchema)
                    .put("prefix", prefix)
                    .put(
                        "content",
                        java.util.Base64.getEncoder()
                            .encodeToString(content.getBytes(StandardCharsets.UTF_8))));
    SourceRecord r =
        new SourceRecord(
            Map.of("server", "pfx"),
            Map.of("lsn", lsn),
            settings.messageTopic(),
            null,
            null,
            null,
            envelope,
            value);
    return () -> r;
  }

  @Test
  void aMarkerOfThisPipelineGoesIntoEveryPartitionOfEveryTableTopic() throws Exception {
    List<String> topics = settings.tables().stream().map(settings::topicOf).toList();
    List<org.apache.kafka.common.PartitionInfo> parts = new ArrayList<>();
    for (String t : topics) {
      for (int p = 0; p < 3; p++) {
        parts.add(new org.apache.kafka.common.PartitionInfo(t, p, null, null, null));
      }
    }
    org.apache.kafka.common.Cluster cluster =
        new org.apache.kafka.common.Cluster(
            "c", List.of(), parts, java.util.Set.of(), java.util.Set.of());
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(
            cluster, true, null, new ByteArraySerializer(), new ByteArraySerializer());
    KafkaChangeConsumer consumer = consumer(producer);

    consumer.handleBatch(
        List.of(
            message(
                KafkaChangeConsumer.MARKER_PREFIX, "{\"pipeline\":\"pfx\",\"id\":\"c/1\"}", 900)),
        committer);

    var markers =
        producer.history().stream()
            .filter(r -> !r.topic().equals(settings.messageTopic()))
            .toList();
    assertThat(topics).isNotEmpty();
    assertThat(markers).hasSize(topics.size() * 3);
    assertThat(markers)
        .extracting(r -> r.topic() + ":" + r.partition())
        .doesNotHaveDuplicates()
        .allSatisfy(tp -> assertThat(topics).contains(tp.substring(0, tp.lastIndexOf(':'))));
    var value = Json.parse(markers.get(0).value());
    assertThat(value.get("op").asText()).isEqualTo("m");
    assertThat(value.get("marker").get("id").asText()).isEqualTo("c/1");
    assertThat(value.get("marker").get("lsn").asLong()).isEqualTo(900);
    assertThat(value.get("marker").get("commitTs").asLong()).isEqualTo(1_700_000_000_000L);
    assertThat(new String(markers.get(0).key(), StandardCharsets.UTF_8)).contains("c/1");
    assertThat(committer.marked).hasSize(1);

    // A marker of another pipeline sharing the database is its own source's business.
    consumer.handleBatch(
        List.of(
            message(
                KafkaChangeConsumer.MARKER_PREFIX, "{\"pipeline\":\"other\",\"id\":\"c/2\"}", 901)),
        committer);
    assertThat(producer.history()).hasSize(1 + topics.size() * 3 + 1);
  }

  @Test
  void aFailedSendMarksNothingAndFailsTheBatch() {
    MockProducer<byte[], byte[]> producer = producer(false);
    KafkaChangeConsumer consumer = consumer(producer);
    var batch =
        List.of(
            change("pfx.public.users", 1, "c", "false", 100, 90L, "a"),
            change("pfx.public.users", 2, "c", "false", 110, 90L, "b"));
    Thread completer =
        new Thread(
            () -> {
              org.awaitility.Awaitility.await()
                  .atMost(java.time.Duration.ofSeconds(5))
                  .until(() -> producer.history().size() == 2);
              producer.completeNext();
              producer.errorNext(
                  new org.apache.kafka.common.errors.TimeoutException("broker gone"));
            });
    completer.start();

    assertThatThrownBy(() -> consumer.handleBatch(batch, committer))
        .isInstanceOf(SourceDeliveryException.class)
        .hasMessageContaining("pfx.public.users")
        .hasMessageContaining("broker gone");
    assertThat(committer.marked).isEmpty();
    assertThat(committer.batchesFinished).isZero();
    assertThat(failures)
        .singleElement()
        .extracting(Throwable::getMessage)
        .asString()
        .contains("broker gone");
    assertThat(progress.ackedCommitLsn()).isZero();
  }

  @Test
  void snapshotRecordsMarkTheSnapshotRunning() throws Exception {
    MockProducer<byte[], byte[]> producer = producer(true);
    KafkaChangeConsumer consumer = consumer(producer);
    consumer.handleBatch(
        List.of(change("pfx.public.users", 1, "r", "first", 10, null, "a")), committer);
    assertThat(progress.snapshotRunning()).isTrue();
    assertThat(progress.snapshotFinished()).isFalse();
    assertThat(registry.get("pgconvex.source.snapshot.running").gauge().value()).isEqualTo(1.0);
  }

  @Test
  void opNames() {
    assertThat(KafkaChangeConsumer.opName("c")).isEqualTo("create");
    assertThat(KafkaChangeConsumer.opName("t")).isEqualTo("truncate");
    assertThat(KafkaChangeConsumer.opName(null)).isEqualTo("unknown");
  }

  private static final class Committer
      implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
    final List<RecordChangeEvent<SourceRecord>> marked = new ArrayList<>();
    int batchesFinished;

    @Override
    public void markProcessed(RecordChangeEvent<SourceRecord> record) {
      marked.add(record);
    }

    @Override
    public void markBatchFinished() {
      batchesFinished++;
    }

    @Override
    public void markProcessed(
        RecordChangeEvent<SourceRecord> record, DebeziumEngine.Offsets sourceOffsets) {
      marked.add(record);
    }

    @Override
    public DebeziumEngine.Offsets buildOffsets() {
      throw new UnsupportedOperationException();
    }
  }
}
