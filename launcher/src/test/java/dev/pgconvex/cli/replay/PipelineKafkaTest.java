package dev.pgconvex.cli.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.replay.ReplayException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code replay} and {@code dlq} find a local pipeline's Kafka in its work dir. */
class PipelineKafkaTest {
  @Test
  void aRunningPipelineIsReachedThroughItsDiscoveryFileElseRefused(@TempDir Path work)
      throws Exception {
    Path logs = Files.createDirectories(work.resolve("kafka").resolve("kafka-logs"));
    Path lock = logs.resolve(".lock");
    Files.createFile(lock);
    try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE);
        FileLock held = ch.lock()) {
      assertThatThrownBy(() -> PipelineKafka.open(null, work, Map.of(), null))
          .isInstanceOf(ReplayException.class)
          .hasMessageContaining("is running (its embedded Kafka broker holds the data)");
      Files.writeString(
          work.resolve("pipeline.json"),
          "{\"endpoint\":\"http://127.0.0.1:1\",\"pid\":"
              + ProcessHandle.current().pid()
              + ",\"prefix\":\"demo1\",\"kafka\":\"127.0.0.1:1\"}");
      try (PipelineKafka k = PipelineKafka.open(null, work, Map.of(), null)) {
        assertThat(k.where()).isEqualTo("the running pipeline's embedded broker (127.0.0.1:1)");
        assertThat(k.topics().prefix()).isEqualTo("demo1");
        assertThat(k.clientProps()).containsEntry("bootstrap.servers", "127.0.0.1:1");
      }
      try (PipelineKafka k = PipelineKafka.open(null, work, Map.of(), "other")) {
        assertThat(k.topics().prefix()).as("--prefix wins").isEqualTo("other");
      }
    }
  }

  @Test
  void theKafkaKeysReachTheClients() {
    try (PipelineKafka k =
        PipelineKafka.open(
            "127.0.0.1:9",
            Path.of("unused"),
            Map.of("kafka.metadata.max.age.ms", "1000", "cdc.topic.prefix", "p1"),
            null)) {
      assertThat(k.clientProps())
          .containsEntry("bootstrap.servers", "127.0.0.1:9")
          .containsEntry("metadata.max.age.ms", "1000");
      assertThat(k.topics().dlqReplays()).isEqualTo("p1.dlq-replays");
    }
    assertThatThrownBy(
            () ->
                PipelineKafka.open(
                    "127.0.0.1:9",
                    Path.of("unused"),
                    Map.of(
                        "kafka.security.protocol",
                        "SASL_SSL",
                        "kafka.sasl.mechanism",
                        "PLAIN",
                        "kafka.sasl.jaas.config",
                        "broken password=\"s3cret\""),
                    null))
        .isInstanceOf(ReplayException.class)
        .hasMessageContaining("check --kafka and the kafka.* keys")
        .hasMessageNotContaining("s3cret");
  }
}
