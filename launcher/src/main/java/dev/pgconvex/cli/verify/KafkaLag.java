package dev.pgconvex.cli.verify;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.mapping.Mapping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a consumer group is behind the end of its topics. Owns an admin client; not thread-safe.
 */
public final class KafkaLag implements AutoCloseable {
  private final Admin admin;

  /**
   * @param clientProps bootstrap servers and the pass-through client keys ({@link
   *     dev.pgconvex.common.kafka.KafkaClients})
   */
  public KafkaLag(Map<String, Object> clientProps) {
    admin = Admin.create(clientProps);
  }

  /**
   * Records the group has not yet consumed (committed) on {@code topics}; a partition with data and
   * no committed offset counts in full.
   *
   * @param withRepartition also count the group's Kafka Streams repartition topics ({@code
   *     <group>-*-repartition})
   */
  public long lag(String group, List<String> topics, boolean withRepartition)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<String> all = new ArrayList<>(topics);
    if (withRepartition) {
      for (String t : admin.listTopics().names().get(10, TimeUnit.SECONDS)) {
        if (t.startsWith(group + "-") && t.endsWith("-repartition")) {
          all.add(t);
        }
      }
    }
    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
    var descriptions = admin.describeTopics(all).allTopicNames().get(10, TimeUnit.SECONDS);
    descriptions.forEach(
        (name, d) ->
            d.partitions()
                .forEach(
                    p -> ends.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    var endOffsets = admin.listOffsets(ends).all().get(10, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    long lag = 0;
    for (var e : endOffsets.entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      lag += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
    }
    return lag;
  }

  /**
   * Whether the transformer (its repartition topics included) and the sink of the pipeline have
   * consumed everything in Kafka: the consumer-lag half of "caught up".
   */
  public boolean drained(Topics topics, Mapping mapping)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<String> sourceTopics =
        mapping.tables().stream().map(t -> topics.source(t.schema(), t.table())).toList();
    return lag(topics.transformerAppId(), sourceTopics, true) == 0
        && lag(topics.sinkGroup(), List.of(topics.ops()), false) == 0;
  }

  @Override
  public void close() {
    admin.close();
  }
}
