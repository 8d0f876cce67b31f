package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class EmbeddedKafkaBrokerIT {
  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    // The shared broker is an EmbeddedKafkaBroker too; tests that stop a broker use their own.
    long t0 = System.nanoTime();
    broker = SharedStack.kafka();
    System.out.printf("broker start took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
  }

  @Test
  void produceAndConsumeInAGroup() throws Exception {
    String topic = TestNames.unique("roundtrip");
    String group = TestNames.unique("group");
    createTopic(broker, topic, 2);
    produce(broker, topic, List.of("a", "b", "c"));

    List<String> seen = consume(broker, topic, group, 3);
    assertThat(seen).containsExactlyInAnyOrder("a", "b", "c");

    try (Admin admin = admin(broker)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS);
      assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum())
          .isEqualTo(3);
    }
    // The group resumes after its committed offsets.
    produce(broker, topic, List.of("d"));
    assertThat(consume(broker, topic, group, 1)).containsExactly("d");
  }

  @Test
  void autoCreateIsOff() throws Exception {
    try (Admin admin = admin(broker)) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
          .doesNotContain("never-created");
    }
  }

  @Test
  void restartKeepsPortsAndData() throws Exception {
    try (EmbeddedKafkaBroker own =
        new EmbeddedKafkaBroker(Path.of("target", "it", TestNames.unique("kafkarestart")))) {
      own.start();
      String bootstrap = own.bootstrapServers();
      String topic = TestNames.unique("kept");
      String group = TestNames.unique("group");
      createTopic(own, topic, 1);
      produce(own, topic, List.of("before"));
      assertThat(consume(own, topic, group, 1)).containsExactly("before");

      long t0 = System.nanoTime();
      own.restart();
      System.out.printf("broker restart took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertThat(own.bootstrapServers()).isEqualTo(bootstrap);

      produce(own, topic, List.of("after"));
      // Same group: its offset survived, so only the new record arrives.
      assertThat(consume(own, topic, group, 1)).containsExactly("after");
      // A new group from the beginning sees both: the log survived.
      assertThat(consume(own, topic, TestNames.unique("group"), 2))
          .containsExactly("before", "after");
      own.close();
      own.close();
      assertThat(own.isRunning()).isFalse();
    }
  }

  @Test
  void keptDataServesTheNextBrokerOnTheSameDirectory() throws Exception {
    Path dir = Path.of("target", "it", TestNames.unique("kafkakept"));
    String topic = TestNames.unique("kept");
    String group = TestNames.unique("group");
    String firstAddress;
    try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.builder(dir).keepData(true).build()) {
      first.start();
      firstAddress = first.bootstrapServers();
      createTopic(first, topic, 2);
      produce(first, topic, List.of("a", "b"));
      assertThat(consume(first, topic, group, 2)).containsExactlyInAnyOrder("a", "b");
    }
    // A new broker object, as a new process would make: topics, records and offsets are there.
    try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.builder(dir).keepData(true).build()) {
      second.start();
      assertThat(second.bootstrapServers()).as("the same ports when free").isEqualTo(firstAddress);
      produce(second, topic, List.of("c"));
      assertThat(consume(second, topic, group, 1)).containsExactly("c");
      assertThat(consume(second, topic, TestNames.unique("group"), 3))
          .containsExactlyInAnyOrder("a", "b", "c");
    }
    // Without keepData, close deletes it.
    try (EmbeddedKafkaBroker third = EmbeddedKafkaBroker.builder(dir).build()) {
      third.start();
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void producerWaitsThroughAStoppedBroker() throws Exception {
    try (EmbeddedKafkaBroker own =
        new EmbeddedKafkaBroker(Path.of("target", "it", TestNames.unique("kafkadown")))) {
      own.start();
      String topic = TestNames.unique("down");
      createTopic(own, topic, 1);
      Map<String, Object> conf =
          Map.of(
              ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
              own.bootstrapServers(),
              ProducerConfig.ACKS_CONFIG,
              "all",
              ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
              60_000,
              ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
              5_000);
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(conf, new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>(topic, "k", "up")).get(30, TimeUnit.SECONDS);
        own.stop();
        // The broker comes back on the same port while the producer is blocked on it.
        var restarted =
            java.util.concurrent.CompletableFuture.runAsync(
                own::start,
                java.util.concurrent.CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS));
        producer.send(new ProducerRecord<>(topic, "k", "while-down")).get(60, TimeUnit.SECONDS);
        restarted.get(60, TimeUnit.SECONDS);
      }
      assertThat(consume(own, topic, TestNames.unique("group"), 2))
          .containsExactly("up", "while-down");
    }
  }

  static Admin admin(EmbeddedKafkaBroker b) {
    return Admin.create(Map.of("bootstrap.servers", b.bootstrapServers()));
  }

  static void createTopic(EmbeddedKafkaBroker b, String topic, int partitions) throws Exception {
    try (Admin admin = admin(b)) {
      admin
          .createTopics(Set.of(new NewTopic(topic, partitions, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  static void produce(EmbeddedKafkaBroker b, String topic, List<String> values) throws Exception {
    Map<String, Object> conf =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            b.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(conf, new StringSerializer(), new StringSerializer())) {
      for (String v : values) {
        producer.send(new ProducerRecord<>(topic, "k", v)).get(30, TimeUnit.SECONDS);
      }
    }
  }

  static List<String> consume(EmbeddedKafkaBroker b, String topic, String group, int count) {
    Map<String, Object> conf =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            b.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false);
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(conf, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
      consumer.commitSync(Duration.ofSeconds(30));
    }
    assertThat(out).hasSize(count);
    return out;
  }
}
