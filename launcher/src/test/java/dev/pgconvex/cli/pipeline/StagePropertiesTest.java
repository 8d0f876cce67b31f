package dev.pgconvex.cli.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keys a stage run in its own process gets from {@link Pipeline#properties(Stage)}. */
class StagePropertiesTest {
  @Test
  void stagePropertiesKeepTheKafkaPassThroughKeys() {
    Map<String, String> all = new LinkedHashMap<>();
    all.put("kafka.bootstrap.servers", "127.0.0.1:9092");
    all.put("kafka.session.timeout.ms", "10000");
    all.put("kafka.security.protocol", "SASL_PLAINTEXT");
    all.put("debezium.snapshot.fetch.size", "500");
    all.put("sink.batch.max.ops", "500");
    all.put("transformer.state.dir", "/tmp/streams");
    all.put("no.such.key", "x");
    for (Stage stage : Stage.values()) {
      assertThat(Pipeline.keysOf(stage.definition(), all))
          .as(stage.name())
          .containsEntry("kafka.session.timeout.ms", "10000")
          .containsEntry("kafka.security.protocol", "SASL_PLAINTEXT")
          .containsEntry("debezium.snapshot.fetch.size", "500")
          .doesNotContainKey("no.such.key");
    }
    assertThat(Pipeline.keysOf(Stage.SINK.definition(), all))
        .containsKey("sink.batch.max.ops")
        .doesNotContainKey("transformer.state.dir");
  }
}
