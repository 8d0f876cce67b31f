package dev.pgconvex.source.engine;

import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.preflight.SourceUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics the source writes before the engine starts: one per captured table ({@code
 * cdc.topic.partitions} partitions), the transaction metadata topic (one partition, so BEGIN and
 * END markers stay in order), the logical message topic and the heartbeats topic (one partition
 * each, so they stay in commit order). Existing topics are kept as they are.
 */
public final class TopicSetup {
  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Creates the missing topics and waits until every one is visible.
   *
   * @throws SourceUnavailableException when Kafka does not answer within {@code timeout}
   */
  public static void ensureTopics(Admin admin, SourceSettings s, Duration timeout)
      throws InterruptedException {
    Map<String, Integer> wanted = new LinkedHashMap<>();
    for (TableId t : s.tables()) {
      wanted.put(s.topicOf(t), s.partitions());
    }
    wanted.put(s.transactionTopic(), 1);
    wanted.put(s.messageTopic(), 1);
    wanted.put(s.topics().heartbeats(), 1);
    List<NewTopic> topics = new ArrayList<>();
    wanted.forEach(
        (name, partitions) -> topics.add(new NewTopic(name, partitions, s.replicationFactor())));
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      for (var e : admin.createTopics(topics).values().entrySet()) {
        try {
          e.getValue().get(remaining(deadline), TimeUnit.NANOSECONDS);
          log.info("Created topic {}", e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw ex;
          }
        }
      }
      // A freshly created topic is not visible everywhere at once: describe until it is.
      while (true) {
        try {
          Map<String, TopicDescription> described =
              admin
                  .describeTopics(wanted.keySet())
                  .allTopicNames()
                  .get(remaining(deadline), TimeUnit.NANOSECONDS);
          described.forEach(
              (name, d) -> {
                if (d.partitions().size() != wanted.get(name)) {
                  log.warn(
                      "Topic {} has {} partitions, not the configured {}; kept as it is",
                      name,
                      d.partitions().size(),
                      wanted.get(name));
                }
              });
          return;
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw ex;
          }
          Thread.sleep(50); // back-off between describe attempts, not a wait for a condition
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new SourceUnavailableException(
          "Cannot create topics " + wanted.keySet() + " on " + s.bootstrapServers() + ": " + cause,
          cause);
    }
  }

  private static long remaining(long deadline) throws TimeoutException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new TimeoutException("timed out");
    }
    return left;
  }
}
