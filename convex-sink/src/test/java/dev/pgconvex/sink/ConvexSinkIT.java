package dev.pgconvex.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.kafka.TopicBootstrap;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.lineage.SinkPreflightException;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink against the in-process Kafka broker and the Convex emulator running convex/. Data in the
 * emulator is shared by the JVM: each test uses its own {@code orderId}, topics and group.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConvexSinkIT {
  static final String TABLE = "orderItems";
  static String bootstrap;
  static ConvexEmulatorProcess convex;
  static ConvexClient client;

  @BeforeAll
  static void startStack() {
    bootstrap = SharedStack.kafka().bootstrapServers();
    convex = SharedStack.convex();
    client =
        new ConvexClient(
            convex.url(), convex.adminKey(), Duration.ofSeconds(30), Duration.ofSeconds(5), 2);
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  static Config config(String prefix, Map<String, String> extra) {
    Map<String, String> p = new HashMap<>();
    p.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
    p.put(CommonConfig.TOPIC_PREFIX, prefix);
    p.put(SinkConfig.CONVEX_URL, convex.url());
    p.put(SinkConfig.CONVEX_ADMIN_KEY, convex.adminKey().reveal());
    p.put(SinkConfig.CHECKPOINT_INTERVAL_MS, "100");
    p.put(SinkConfig.SHUTDOWN_TIMEOUT_MS, "5000");
    p.putAll(extra);
    return SinkConfig.parse(p);
  }

  static String op(long orderId, int line, String kind, String sku, long lsn) {
    ObjectNode doc = null;
    if (!kind.equals("delete")) {
      doc = Json.NODES.objectNode().put("orderId", orderId).put("lineNo", line);
      if (sku != null) {
        doc.put("sku", sku);
      } else {
        doc.put("sku", 12345); // not a string: the schema rejects it (a poison op)
      }
    }
    String key = "[" + orderId + "," + line + "]";
    return Json.write(
        new Operation(
            TABLE,
            key,
            Operation.Kind.valueOf(kind.toUpperCase()),
            Position.of(lsn, 0),
            1_700_000_000_000L + lsn,
            lsn,
            doc));
  }

  /**
   * Creates the pipeline topics and waits until every partition answers on its leader: producing
   * into a partition the broker has not loaded yet can wedge an idempotent producer
   * (NOT_LEADER_OR_FOLLOWER, then OutOfOrderSequence retries until the delivery timeout).
   */
  static void createTopics(Config config) {
    TopicBootstrap.ensure(config);
    Topics topics = Topics.from(config);
    int partitions = config.getInt(CommonConfig.TOPIC_PARTITIONS);
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> specs = new HashMap<>();
    for (String t : List.of(topics.ops(), topics.ids(), topics.deadLetters())) {
      for (int i = 0; i < partitions; i++) {
        specs.put(new TopicPartition(t, i), org.apache.kafka.clients.admin.OffsetSpec.latest());
      }
    }
    try (Admin admin = admin()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () -> {
                admin.listOffsets(specs).all().get(5, TimeUnit.SECONDS);
                return true;
              });
    }
  }

  /** Produces values keyed by their doc ref; returns the end offset per partition. */
  static Map<TopicPartition, Long> produce(String topic, List<String> values) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    Map<TopicPartition, Long> ends = new HashMap<>();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>();
      for (String v : values) {
        JsonNode n = Json.parse(v);
        acks.add(
            producer.send(
                new ProducerRecord<>(
                    topic, n.path("table").asText() + "/" + n.path("key").asText(), v)));
      }
      for (var a : acks) {
        RecordMetadata m = a.get(60, TimeUnit.SECONDS);
        ends.merge(new TopicPartition(m.topic(), m.partition()), m.offset() + 1, Math::max);
      }
    }
    return ends;
  }

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  static boolean committed(Admin admin, String group, Map<TopicPartition, Long> ends)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    for (var e : ends.entrySet()) {
      OffsetAndMetadata o = offsets.get(e.getKey());
      if (o == null || o.offset() < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Live documents of this test's order, by source key: {id, position, doc}. */
  static Map<String, JsonNode> documents(long orderId) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    String cursor = null;
    for (int page = 0; page < 1000; page++) {
      Map<String, Object> args = new HashMap<>();
      args.put("table", TABLE);
      args.put("limit", 1000);
      args.put("cursor", cursor);
      JsonNode r = client.query("cdc/ingest:docPage", args);
      for (JsonNode d : r.path("page")) {
        if (d.path("key").asText().startsWith("[" + orderId + ",")) {
          out.put(d.path("key").asText(), d);
        }
      }
      if (r.path("isDone").asBoolean(true)) {
        break;
      }
      cursor = r.path("continueCursor").asText();
    }
    return out;
  }

  static Map<String, String> readAll(String topic, int expectedAtLeast) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, TestNames.unique("reader"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, String> out = new LinkedHashMap<>();
    int[] count = {0};
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                  out.put(r.key(), r.value());
                  count[0]++;
                }
                return count[0] >= expectedAtLeast;
              });
    }
    return out;
  }

  @Test
  void appliesPublishesIdsCommitsAndAReplayChangesNothing() throws Exception {
    String prefix = TestNames.unique("sinkit");
    Config config = config(prefix, Map.of());
    Topics topics = Topics.from(config);
    createTopics(config);
    long orderId = ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      values.add(op(orderId, i, "upsert", "sku-" + i, 100 + i));
    }
    values.add(op(orderId, 0, "upsert", "updated", 500)); // newer: applied
    values.add(op(orderId, 1, "delete", null, 501)); // delete: tombstone in ids
    values.add(op(orderId, 2, "upsert", null, 502)); // poison: dead-lettered, line 2 keeps sku-2
    values.add(op(orderId, 3, "upsert", "stale", 5)); // older than the stored 103: skipped
    values.add(op(orderId, 4, "patch", "patched", 503)); // patch
    values.add(op(orderId, 9999, "patch", "nothing", 504)); // patch without document: missing
    Map<TopicPartition, Long> ends = produce(topics.ops(), values);

    try (Admin admin = admin()) {
      ConvexSink sink = new ConvexSink(config, new SimpleMeterRegistry());
      java.util.concurrent.atomic.AtomicInteger listened =
          new java.util.concurrent.atomic.AtomicInteger();
      sink.addAppliedListener(
          (commitTs, appliedAt) -> {
            if (commitTs > 0 && appliedAt >= commitTs) {
              listened.incrementAndGet();
            }
          });
      try {
        sink.start();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> committed(admin, topics.sinkGroup(), ends));
        assertThat(sink.health().up()).isTrue();
        assertThat(sink.opsSkipped()).isEqualTo(1);
        assertThat(sink.deadLetters()).isEqualTo(2);
        assertThat(sink.opsApplied()).isEqualTo(values.size() - 3);
        assertThat(listened).hasValue(values.size() - 3);
        assertThat(sink.lastAppliedCommitTs()).isEqualTo(1_700_000_000_000L + 503);
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> {
                  JsonNode cp = client.query("cdc/ingest:getCheckpoint", Map.of("source", prefix));
                  return cp != null && !cp.isNull();
                });
      } finally {
        sink.close();
      }
      assertThat(sink.health().up()).isFalse();

      Map<String, JsonNode> docs = documents(orderId);
      assertThat(docs).hasSize(59).doesNotContainKey("[" + orderId + ",1]");
      assertThat(docs.get("[" + orderId + ",0]").path("doc").path("sku").asText())
          .isEqualTo("updated");
      assertThat(docs.get("[" + orderId + ",2]").path("doc").path("sku").asText())
          .isEqualTo("sku-2");
      assertThat(docs.get("[" + orderId + ",3]").path("doc").path("sku").asText())
          .isEqualTo("sku-3");
      assertThat(docs.get("[" + orderId + ",4]").path("doc").path("sku").asText())
          .isEqualTo("patched");

      Map<String, String> ids = readAll(topics.ids(), 61);
      String ref0 = TABLE + "/[" + orderId + ",0]";
      assertThat(Json.parse(ids.get(ref0)).path("id").asText())
          .isEqualTo(docs.get("[" + orderId + ",0]").path("id").asText());
      assertThat(Json.parse(ids.get(ref0)).path("position").asText())
          .isEqualTo(Position.of(500, 0));
      assertThat(ids).containsEntry(TABLE + "/[" + orderId + ",1]", null);

      Map<String, String> dlq = readAll(topics.deadLetters(), 2);
      DeadLetter poison =
          Json.MAPPER.readValue(dlq.get(TABLE + "/[" + orderId + ",2]"), DeadLetter.class);
      assertThat(poison.stage()).isEqualTo("sink");
      assertThat(poison.topic()).isEqualTo(topics.ops());
      assertThat(poison.reason()).contains("Convex rejected upsert");
      DeadLetter missing =
          Json.MAPPER.readValue(dlq.get(TABLE + "/[" + orderId + ",9999]"), DeadLetter.class);
      assertThat(missing.reason()).contains("found no document");

      // Replay everything from offset 0 with a new sink: Convex does not change.
      Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
      ends.keySet().forEach(tp -> zero.put(tp, new OffsetAndMetadata(0)));
      admin.alterConsumerGroupOffsets(topics.sinkGroup(), zero).all().get(30, TimeUnit.SECONDS);
      SimpleMeterRegistry registry2 = new SimpleMeterRegistry();
      try (ConvexSink replay = new ConvexSink(config, registry2)) {
        replay.start();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    replay.opsApplied() + replay.opsSkipped() + replay.deadLetters()
                        >= values.size());
        assertThat(replay.deadLetters()).isEqualTo(2);
        assertThat(replay.opsSkipped()).isGreaterThanOrEqualTo(1);
      }
      assertThat(documents(orderId)).isEqualTo(docs);
    }
  }

  @Test
  void aWrongAdminKeyStopsTheSinkWithHealthDownAndCommitsNothing() throws Exception {
    String prefix = TestNames.unique("sinkauth");
    String wrongKey = "wrong-admin-key-" + prefix;
    Config config = config(prefix, Map.of(SinkConfig.CONVEX_ADMIN_KEY, wrongKey));
    Topics topics = Topics.from(config);
    createTopics(config);
    Map<TopicPartition, Long> ends = produce(topics.ops(), List.of(op(1, 1, "upsert", "a", 10)));
    try (Admin admin = admin();
        ConvexSink sink = new ConvexSink(config, new SimpleMeterRegistry())) {
      // The lineage check at start is the first call to Convex: the start fails with one line.
      assertThatThrownBy(sink::start)
          .isInstanceOf(SinkPreflightException.class)
          .hasMessageContaining("Convex rejected the admin key (401)")
          .hasMessageNotContaining(wrongKey);
      assertThat(sink.health().up()).isFalse();
      assertThat(committed(admin, topics.sinkGroup(), ends)).isFalse();
    }
  }
}
