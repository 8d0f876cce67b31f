package dev.pgconvex.transformer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformerConfigTest {
  @Test
  void defaultsGiveStreamsPropertiesWithLowLatency() {
    Config c = TransformerConfig.definition().parse(Map.of("cdc.topic.prefix", "shop"), k -> null);
    Properties p = TransformerConfig.streamsProperties(c);
    assertThat(p.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("shop-transformer");
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("at_least_once");
    assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(100L);
    assertThat(p.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(1);
    assertThat(p.get("producer.linger.ms")).isEqualTo(5);
  }

  @Test
  void orphansAreReportedAfterFiveMinutesByDefaultAndZeroMeansNever() {
    var def = TransformerConfig.definition();
    assertThat(def.parse(Map.of(), k -> null).getLong(TransformerConfig.ORPHAN_REPORT_AFTER_MS))
        .isEqualTo(300_000L);
    assertThat(
            def.parse(Map.of(TransformerConfig.ORPHAN_REPORT_AFTER_MS, "0"), k -> null)
                .getLong(TransformerConfig.ORPHAN_REPORT_AFTER_MS))
        .isZero();
    assertThatThrownBy(
            () -> def.parse(Map.of(TransformerConfig.ORPHAN_REPORT_AFTER_MS, "-1"), k -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(TransformerConfig.ORPHAN_REPORT_AFTER_MS);
  }

  @Test
  void kafkaKeysPassThroughAndOverride() {
    Config c =
        TransformerConfig.definition()
            .parse(
                Map.of("kafka.producer.linger.ms", "20", "kafka.max.poll.records", "50"),
                k -> null);
    Properties p = TransformerConfig.streamsProperties(c);
    assertThat(p.get("producer.linger.ms")).isEqualTo("20");
    assertThat(p.get("max.poll.records")).isEqualTo("50");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                TransformerConfig.definition()
                    .parse(
                        Map.of(
                            "transformer.processing.guarantee", "exactly_once",
                            "transformer.num.stream.threads", "0",
                            "transformer.commit.interval.ms", "soon"),
                        k -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(3)
                    .anySatisfy(p -> assertThat(p).startsWith("transformer.processing.guarantee"))
                    .anySatisfy(p -> assertThat(p).startsWith("transformer.num.stream.threads"))
                    .anySatisfy(p -> assertThat(p).startsWith("transformer.commit.interval.ms")));
  }

  @Test
  void startWithoutMappingFails(@TempDir Path dir) {
    Config c = TransformerConfig.definition().parse(Map.of(), k -> null);
    try (Transformer t = new Transformer(c, new SimpleMeterRegistry(), null)) {
      assertThatThrownBy(t::start)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("transformer.mapping.file: required");
      assertThat(t.health().up()).isFalse();
    }
    Config missing =
        TransformerConfig.definition()
            .parse(
                Map.of("transformer.mapping.file", dir.resolve("nope.json").toString()), k -> null);
    try (Transformer t = new Transformer(missing, new SimpleMeterRegistry(), null)) {
      assertThatThrownBy(t::start)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("cannot read");
    }
  }

  @Test
  void inconsistentMappingListsEveryProblem(@TempDir Path dir) throws Exception {
    Mapping bad =
        new Mapping(
            List.of(
                new TableMapping(
                    "public",
                    "posts",
                    "posts",
                    List.of(),
                    List.of(),
                    List.of(new RelationMapping("authorId", List.of("user_id"), "users", false)))));
    Path file = dir.resolve("mapping.json");
    bad.write(file);
    Config c =
        TransformerConfig.definition()
            .parse(Map.of("transformer.mapping.file", file.toString()), k -> null);
    try (Transformer t = new Transformer(c, new SimpleMeterRegistry(), null)) {
      assertThatThrownBy(t::start)
          .isInstanceOfSatisfying(
              ConfigException.class,
              e ->
                  assertThat(e.problems())
                      .containsExactly(
                          "mapping: table public.posts has no primary key columns",
                          "mapping: relation posts.authorId points to table users, which is not"
                              + " mapped; map it or drop the relation"));
    }
    assertThat(Files.exists(file)).isTrue();
  }

  @Test
  void argumentsAreAFileThenOverrides(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("t.properties");
    Files.writeString(file, "cdc.topic.prefix=a\ntransformer.num.stream.threads=2\n");
    Map<String, String> props =
        dev.pgconvex.common.service.ServiceRunner.parseArgs(
            new String[] {"--config", file.toString(), "cdc.topic.prefix=b"}, "TransformerMain");
    assertThat(props)
        .containsEntry("cdc.topic.prefix", "b")
        .containsEntry("transformer.num.stream.threads", "2");
    assertThatThrownBy(
            () ->
                dev.pgconvex.common.service.ServiceRunner.parseArgs(
                    new String[] {"oops"}, "TransformerMain"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key=value");
  }
}
