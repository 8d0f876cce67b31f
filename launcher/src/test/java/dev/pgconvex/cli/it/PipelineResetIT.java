package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.cli.reset.PipelineReset;
import dev.pgconvex.cli.reset.ResetRefusedException;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc reset} against an external broker (the shared one) and a real database: it removes
 * exactly the pipeline's topics, groups, local Streams state, slot and signals, leaves another
 * pipeline's alone, and refuses while a group has members or the slot is in use.
 */
@Timeout(180)
class PipelineResetIT {
  @Test
  void removesExactlyThePipelinesStateAndRefusesWhileItRuns() throws Exception {
    String prefix = TestNames.unique("reset");
    String other = TestNames.unique("keep");
    Topics topics = new Topics(prefix);
    String slot = TestNames.unique("slot");
    String url = SharedStack.freshDatabase("reset");
    Path work = Files.createDirectories(Path.of("target", "it", prefix));
    Path streams =
        Files.createDirectories(work.resolve("streams").resolve(topics.transformerAppId()));
    Files.writeString(streams.resolve("state"), "x");
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedStack.kafka().bootstrapServers());
    try (Admin admin = Admin.create(ap);
        Connection pg = SharedStack.postgres().connect(url.substring(url.lastIndexOf('/') + 1));
        Statement st = pg.createStatement()) {
      List<String> mine =
          List.of(
              topics.ops(),
              topics.ids(),
              topics.offsets(),
              topics.lineage(),
              topics.source("public", "users"),
              topics.transformerAppId() + "-resolver-changelog");
      admin
          .createTopics(
              java.util.stream.Stream.concat(
                      mine.stream(), java.util.stream.Stream.of(new Topics(other).ops()))
                  .map(t -> new NewTopic(t, 1, (short) 1))
                  .toList())
          .all()
          .get(30, TimeUnit.SECONDS);
      admin
          .alterConsumerGroupOffsets(
              topics.sinkGroup(),
              Map.of(new TopicPartition(topics.ops(), 0), new OffsetAndMetadata(0)))
          .all()
          .get(30, TimeUnit.SECONDS);
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
      st.execute("CREATE TABLE public.sig (id varchar(42) PRIMARY KEY, type text, data text)");
      st.execute("INSERT INTO public.sig VALUES ('initial-x', 'execute-snapshot', '{}')");
      PipelineReset.Target target =
          new PipelineReset.Target(topics, work, admin, pg, slot, "public.sig", null, null, false);

      // A member in the sink's group: refused, nothing removed.
      try (KafkaConsumer<String, String> member = member(topics)) {
        member.subscribe(List.of(topics.ops()));
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  member.poll(Duration.ofMillis(100));
                  return !member.assignment().isEmpty();
                });
        assertThatThrownBy(() -> new PipelineReset(target).plan())
            .isInstanceOf(ResetRefusedException.class)
            .hasMessageContaining(topics.sinkGroup())
            .hasMessageContaining("active member");
      }

      List<PipelineReset.Step> steps = new PipelineReset(target).plan();
      assertThat(steps)
          .extracting(PipelineReset.Step::description)
          .anySatisfy(d -> assertThat(d).contains("consumer group " + topics.sinkGroup()))
          .anySatisfy(d -> assertThat(d).contains("6 Kafka topic(s)"))
          .anySatisfy(d -> assertThat(d).contains("local Kafka Streams state"))
          .anySatisfy(d -> assertThat(d).contains("drop replication slot '" + slot + "'"))
          .anySatisfy(d -> assertThat(d).contains("pending signals"));
      for (PipelineReset.Step step : steps) {
        step.run();
      }
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                      .doesNotContainAnyElementsOf(mine)
                      .contains(new Topics(other).ops()));
      assertThat(streams).doesNotExist();
      try (var rs =
          st.executeQuery(
              "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
        rs.next();
        assertThat(rs.getInt(1)).isZero();
      }
      try (var rs = st.executeQuery("SELECT count(*) FROM public.sig")) {
        rs.next();
        assertThat(rs.getInt(1)).isZero();
      }
      assertThat(new PipelineReset(target).plan()).as("nothing left").isEmpty();
    }
  }

  private static KafkaConsumer<String, String> member(Topics topics) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedStack.kafka().bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, topics.sinkGroup());
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }
}
