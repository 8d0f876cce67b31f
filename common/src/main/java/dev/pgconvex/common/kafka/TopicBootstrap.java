package dev.pgconvex.common.kafka;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the pipeline's own topics when missing: {@code ops}, {@code ids} (compacted), {@code
 * dlq}, {@code lineage} (compacted, one partition), {@code heartbeats} (one partition). Every
 * service calls it at start, so whichever starts first creates them (a transformer started before
 * any source finds the heartbeats topic it reads); it is idempotent and safe to race.
 */
public final class TopicBootstrap {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TopicBootstrap() {}

  /** The topics every stage relies on, with partitions and replication from {@code config}. */
  public static List<NewTopic> pipelineTopics(Config config) {
    Topics topics = Topics.from(config);
    int partitions = config.getInt(CommonConfig.TOPIC_PARTITIONS);
    short rf = (short) config.getInt(CommonConfig.TOPIC_REPLICATION_FACTOR);
    List<NewTopic> out = new ArrayList<>();
    out.add(new NewTopic(topics.ops(), partitions, rf));
    out.add(
        new NewTopic(topics.ids(), partitions, rf)
            .configs(
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    out.add(new NewTopic(topics.deadLetters(), partitions, rf));
    out.add(LineageTopic.definition(topics.lineage(), rf));
    out.add(new NewTopic(topics.heartbeats(), 1, rf));
    return out;
  }

  // A producer writing right after creation can hit partitions whose leader is not yet known and
  // wedge in
  // retries; wait until every new partition answers an offset request.
  private static void awaitLeaders(Admin admin, List<NewTopic> created)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    for (NewTopic t : created) {
      for (int p = 0; p < t.numPartitions(); p++) {
        specs.put(new TopicPartition(t.name(), p), OffsetSpec.latest());
      }
    }
    while (true) {
      try {
        admin.listOffsets(specs).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(
              "Partitions of "
                  + created.stream().map(NewTopic::name).toList()
                  + " have no leader after "
                  + TIMEOUT.toSeconds()
                  + " s");
        }
        Thread.sleep(50);
      }
    }
  }

  /** Creates the pipeline topics of {@code config} that do not exist yet. */
  public static void ensure(Config config) {
    try (Admin admin = Admin.create(KafkaClients.props(config))) {
      ensure(admin, pipelineTopics(config));
    }
  }

  /**
   * Creates each topic that does not exist. An existing topic is left as it is.
   *
   * @throws IllegalStateException when Kafka does not answer in time, naming the topics
   */
  public static void ensure(Admin admin, List<NewTopic> wanted) {
    try {
      Set<String> existing =
          admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (missing.isEmpty()) {
        return;
      }
      for (var e : admin.createTopics(missing).values().entrySet()) {
        try {
          e.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "Cannot create Kafka topic " + e.getKey() + ": " + ex.getCause().getMessage(),
                ex.getCause());
          }
        }
      }
      awaitLeaders(admin, missing);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating Kafka topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Kafka did not answer while creating topics "
              + wanted.stream().map(NewTopic::name).toList()
              + "; check kafka.bootstrap.servers",
          e);
    }
  }
}
