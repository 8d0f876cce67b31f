package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.envelope;
import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Transformer service on a real broker with 2 partitions. */
@Timeout(180)
class TransformerIT {
  private String bootstrap;
  private Topics topics;
  private Path stateDir;
  private KafkaProducer<String, String> producer;
  private KafkaConsumer<String, String> consumer;
  private final List<Operation> ops = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    bootstrap = SharedStack.kafka().bootstrapServers();
    topics = new Topics(TestNames.unique("tr"));
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(tmp);
    stateDir = Files.createTempDirectory(tmp, "transformer-it");
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topics.source("public", "users"), 2, (short) 1),
                  new NewTopic(topics.source("public", "posts"), 2, (short) 1)))
          .all()
          .get();
    }
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
  }

  @AfterEach
  void tearDown() {
    producer.close();
    if (consumer != null) {
      consumer.close();
    }
  }

  private Config config() {
    return config(Map.of());
  }

  private Config config(Map<String, String> extra) {
    Map<String, String> raw = new java.util.HashMap<>(extra);
    raw.put("kafka.bootstrap.servers", bootstrap);
    raw.put("cdc.topic.prefix", topics.prefix());
    raw.put("cdc.topic.partitions", "2");
    raw.put("transformer.state.dir", stateDir.toString());
    return TransformerConfig.definition().parse(raw);
  }

  @Test
  void aDeadStreamThreadEndsAwaitTerminationWithItsFailure() throws Exception {
    try (Transformer t = new Transformer(config(), new SimpleMeterRegistry(), Fixture.mapping())) {
      t.start();
      java.util.concurrent.CompletableFuture<Throwable> ended = awaitTerminationOf(t);
      // A record the transformer cannot read in its own repartition topic (only a bug or a
      // foreign writer puts one there) kills the stream thread: the process must end, not idle.
      producer
          .send(
              new ProducerRecord<>(
                  topics.transformerAppId() + "-rows-repartition", "users/[1]", "not json"))
          .get();
      assertThat(ended.get(60, java.util.concurrent.TimeUnit.SECONDS))
          .isNotNull()
          .hasMessageContaining("stream thread failed");
      assertThat(t.health().up()).isFalse();
    }
  }

  @Test
  void closeEndsAwaitTerminationWithoutAFailure() throws Exception {
    try (Transformer t = new Transformer(config(), new SimpleMeterRegistry(), Fixture.mapping())) {
      t.start();
      java.util.concurrent.CompletableFuture<Throwable> ended = awaitTerminationOf(t);
      assertThat(ended).isNotDone();
      t.close();
      assertThat(ended.get(30, java.util.concurrent.TimeUnit.SECONDS)).isNull();
    }
  }

  private static java.util.concurrent.CompletableFuture<Throwable> awaitTerminationOf(
      Transformer t) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return t.awaitTermination();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
  }

  @Test
  void anOrphanIsReportedOnceToTheDeadLetterTopicAndStillWaits() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String posts = topics.source("public", "posts");
    try (Transformer t =
        new Transformer(
            config(Map.of(TransformerConfig.ORPHAN_REPORT_AFTER_MS, "1000")),
            registry,
            Fixture.mapping())) {
      t.start();
      send(
          posts,
          "{\"id\":10}",
          envelope("c", null, post(row("id", 10, "title", "a", "user_id", 1)), 200, 1));

      assertThat(deadLetters())
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.key()).isEqualTo("posts/[10]");
                assertThat(d.reason()).contains("posts key [10]", "users key [1]");
              });
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          registry
                              .get("pgconvex.transformer.orphans.reported")
                              .tag("table", "posts")
                              .functionCounter()
                              .count())
                      .isEqualTo(1.0));
      assertThat(t.pendingRows()).isEqualTo(1);

      send(topics.ids(), "users/[1]", "{\"id\":\"u1\",\"position\":\"x\"}");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(pollOps()).extracting(o -> o.ref().toString()).contains("posts/[10]"));
      assertThat(t.pendingRows()).isZero();
    }
  }

  @Test
  void tablesTheMappingAndTheSourceDisagreeOnAreNamedAtStart() throws Exception {
    // The source created topics for users, posts and audit_log (source.tables); the mapping has
    // no audit_log, and orders, shipments and categories are mapped but were never captured.
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(List.of(new NewTopic(topics.source("public", "audit_log"), 2, (short) 1)))
          .all()
          .get();
    }
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Transformer t = new Transformer(config(), registry, Fixture.mapping())) {
      t.start();
      assertThat(
              registry
                  .get("pgconvex.transformer.topic.mismatches")
                  .tag("table", "public.audit_log")
                  .tag("kind", "unmapped")
                  .gauge()
                  .value())
          .isEqualTo(1.0);
      assertThat(
              registry
                  .find("pgconvex.transformer.topic.mismatches")
                  .tag("kind", "uncaptured")
                  .gauges())
          .extracting(g -> g.getId().getTag("table"))
          .containsExactlyInAnyOrder("public.orders", "public.shipments", "public.categories");
      assertThat(t.health().up()).isTrue();
    }
  }

  // A posts row as Debezium writes it: every column, NULLs as null.
  private static com.fasterxml.jackson.databind.node.ObjectNode post(
      com.fasterxml.jackson.databind.node.ObjectNode row) {
    return Fixture.full(Fixture.mapping(), "posts", row);
  }

  private void send(String topic, String key, String value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key, value)).get();
  }

  private List<Operation> pollOps() {
    if (consumer == null) {
      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, TestNames.unique("ops"));
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer());
      consumer.subscribe(List.of(topics.ops()));
    }
    consumer
        .poll(Duration.ofMillis(200))
        .forEach(
            r -> {
              Operation op = Fixture.operation(r.value());
              assertThat(r.key()).isEqualTo(op.ref().toString());
              ops.add(op);
            });
    return ops;
  }

  @Test
  void resolvesAChildThatArrivesBeforeItsParentAcrossARestart() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String users = topics.source("public", "users");
    String posts = topics.source("public", "posts");
    try (Transformer t = new Transformer(config(), registry, Fixture.mapping())) {
      t.start();
      assertThat(t.health().up()).isTrue();

      send(
          posts,
          "{\"id\":10}",
          envelope("c", null, post(row("id", 10, "title", "a", "user_id", 1)), 200, 1));
      send(users, "{\"id\":1}", envelope("c", null, row("id", 1, "name", "ann"), 100, 1));
      send(users, "{\"id\":2}", envelope("c", null, row("id", 2, "name", "bob"), 110, 1));
      send(
          posts,
          "{\"id\":11}",
          envelope(
              "c",
              null,
              // A number a float64 cannot hold exactly: a bad row (dead-lettered), not a changed
              // schema.
              post(row("id", 1L << 60, "title", "b", "user_id", 2)),
              210,
              1));

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(pollOps())
                      .extracting(o -> o.ref().toString())
                      .contains("users/[1]", "users/[2]"));
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(t.pendingRows()).isEqualTo(1));
      assertThat(t.pendingRefs()).isEqualTo(1);
      assertThat(t.pendingRowList(10))
          .extracting(PendingRow::childRef, PendingRow::missingParents)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("posts/[10]", List.of("users/[1]")));
      assertThat(Json.write(t.pendingJson(Transformer.PENDING_LIMIT)))
          .isEqualTo(
              ("{\"pendingRows\":1,\"pendingRefs\":1,\"heldTables\":[],\"rows\":[{\"table\":\"posts\","
                  + "\"key\":\"[10]\",\"position\":\""
                  + t.pendingRowList(1).get(0).position()
                  + "\",\"missing\":[{\"field\":\"authorId\",\"parentTable\":\"users\","
                  + "\"parentKey\":\"[1]\"}]}]}"));
      assertThat(
              registry
                  .get("pgconvex.transformer.orphans.reported")
                  .tag("table", "posts")
                  .functionCounter()
                  .count())
          .isZero(); // the default report time (5 minutes) has not passed
      assertThat(
              registry
                  .get("pgconvex.transformer.pending.rows")
                  .tag("table", "posts")
                  .gauge()
                  .value())
          .isEqualTo(1.0);
      assertThat(ops).extracting(o -> o.ref().toString()).doesNotContain("posts/[10]");
      assertThat(deadLetters())
          .singleElement()
          .satisfies(d -> assertThat(d.reason()).startsWith("posts.id:"));
      assertThat(
              registry
                  .get("pgconvex.transformer.dead.letters")
                  .tag("table", "posts")
                  .tag("reason", "bad_value")
                  .counter()
                  .count())
          .isEqualTo(1.0);
    }

    // Restart: the held row comes back from the changelog and is released by the parent's id.
    try (Transformer t = new Transformer(config(), new SimpleMeterRegistry(), Fixture.mapping())) {
      t.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(t.pendingRows()).isEqualTo(1));
      send(topics.ids(), "users/[1]", "{\"id\":\"u1\",\"position\":\"x\"}");
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(pollOps())
                      .filteredOn(o -> o.ref().toString().equals("posts/[10]"))
                      .singleElement()
                      .satisfies(
                          o -> {
                            assertThat(o.op()).isEqualTo(Operation.Kind.UPSERT);
                            assertThat(o.doc().get("authorId").asText()).isEqualTo("u1");
                          }));
      assertThat(t.pendingRows()).isZero();
      assertThat(t.pendingRefs()).isZero();
    }
  }

  private List<DeadLetter> deadLetters() {
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, TestNames.unique("dlq"));
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<DeadLetter> out = new CopyOnWriteArrayList<>();
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topics.deadLetters()));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                c.poll(Duration.ofMillis(200))
                    .forEach(
                        r ->
                            out.add(
                                Json.MAPPER.convertValue(Json.parse(r.value()), DeadLetter.class)));
                return !out.isEmpty();
              });
    }
    return out;
  }
}
