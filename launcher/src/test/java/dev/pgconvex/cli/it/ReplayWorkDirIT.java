package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.CliRun;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.stack.EmbeddedKafkaBroker;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc dlq} and {@code ./cdc replay} on a stopped local pipeline's work dir: the command
 * starts the embedded broker on the work dir's data itself, reads and changes it, and stops it.
 */
@Timeout(120)
class ReplayWorkDirIT {
  @Test
  void aStoppedWorkDirsBrokerIsStartedOnItsData() throws Exception {
    String prefix = TestNames.unique("wd");
    Topics topics = new Topics(prefix);
    Path work = Path.of("target", "it", prefix).toAbsolutePath();
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder(work.resolve("kafka")).keepData(true).build()) {
      broker.start();
      Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers());
      try (Admin admin = Admin.create(props)) {
        admin
            .createTopics(
                List.of(
                    new NewTopic(topics.ops(), 1, (short) 1),
                    new NewTopic(topics.deadLetters(), 1, (short) 1)))
            .all()
            .get(30, TimeUnit.SECONDS);
        try (KafkaProducer<String, String> producer =
            new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
          for (int i = 0; i < 3; i++) {
            producer.send(new ProducerRecord<>(topics.ops(), 0, "users/[" + i + "]", "{}")).get();
          }
          DeadLetter d =
              new DeadLetter("sink", "rejected: x", topics.ops(), 0, 1, "users/[1]", "{}", 1_000L);
          producer
              .send(new ProducerRecord<>(topics.deadLetters(), "users/[1]", Json.write(d)))
              .get();
        }
        admin
            .alterConsumerGroupOffsets(
                topics.sinkGroup(),
                Map.of(new TopicPartition(topics.ops(), 0), new OffsetAndMetadata(3)))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
    }

    CliRun list = CliRun.of("dlq", "list", "--work-dir", work.toString(), "--prefix", prefix);
    assertThat(list.code).as(list.out + list.err).isZero();
    assertThat(list.out).contains("1 dead letter(s)").contains("rejected: x").contains("users");

    CliRun exec =
        CliRun.of(
            "replay",
            "--stage",
            "sink",
            "--to-offset",
            topics.ops() + ":0:1",
            "--work-dir",
            work.toString(),
            "--prefix",
            prefix,
            "--execute");
    assertThat(exec.code).as(exec.out + exec.err).isZero();
    assertThat(exec.out).containsPattern(topics.ops() + ":0 +3 +1 +2 +0").contains("done:");
  }
}
