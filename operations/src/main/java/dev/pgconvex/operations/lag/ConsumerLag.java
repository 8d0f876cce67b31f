package dev.pgconvex.operations.lag;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.mapping.Mapping;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * How far the pipeline's consumer groups are behind the end of their topics, in records and (from
 * the timestamp of the oldest record not yet consumed) in milliseconds. Reads committed offsets, as
 * {@code kafka-consumer-groups --describe} does, so it works for groups of any process. Owns an
 * admin client and a group-less consumer; not thread-safe.
 */
public final class ConsumerLag implements AutoCloseable {
  private static final long TIMEOUT_S = 10;

  private final Admin admin;
  private final Map<String, Object> clientProps;
  private KafkaConsumer<byte[], byte[]> peeker;

  /**
   * @param clientProps bootstrap servers and the pass-through client keys ({@link
   *     dev.pgconvex.common.kafka.KafkaClients})
   */
  public ConsumerLag(Map<String, Object> clientProps) {
    this.clientProps = Map.copyOf(clientProps);
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
    return read("", group, topics, withRepartition, false, false).records();
  }

  /**
   * The group's lag per partition of {@code topics} and of every other topic it has committed
   * offsets on, with the age of the oldest record it owes on each.
   *
   * @param stage the stage name to report it under
   * @param withRepartition also the group's Kafka Streams repartition topics
   */
  public GroupLag read(String stage, String group, List<String> topics, boolean withRepartition)
      throws InterruptedException, ExecutionException, TimeoutException {
    return read(stage, group, topics, withRepartition, true, true);
  }

  private GroupLag read(
      String stage,
      String group,
      List<String> topics,
      boolean withRepartition,
      boolean withCommitted,
      boolean withMs)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(TIMEOUT_S, TimeUnit.SECONDS);
    Set<String> all = new LinkedHashSet<>(topics);
    if (withCommitted) {
      committed.keySet().forEach(tp -> all.add(tp.topic()));
    }
    if (withRepartition) {
      for (String t : admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS)) {
        if (t.startsWith(group + "-") && t.endsWith("-repartition")) {
          all.add(t);
        }
      }
    }
    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
    admin
        .describeTopics(all)
        .allTopicNames()
        .get(TIMEOUT_S, TimeUnit.SECONDS)
        .forEach(
            (name, d) ->
                d.partitions()
                    .forEach(
                        p ->
                            ends.put(
                                new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    var endOffsets = admin.listOffsets(ends).all().get(TIMEOUT_S, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    ends.keySet().forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
    var starts = admin.listOffsets(earliest).all().get(TIMEOUT_S, TimeUnit.SECONDS);
    long nowMs = System.currentTimeMillis();
    List<PartitionLag> partitions = new ArrayList<>();
    long records = 0;
    long maxMs = 0;
    boolean anyKnown = false;
    boolean anyUnknown = false;
    for (var e : endOffsets.entrySet()) {
      TopicPartition tp = e.getKey();
      OffsetAndMetadata c = committed.get(tp);
      long end = e.getValue().offset();
      // Without a committed offset the group owes what the partition still holds (from its log
      // start, after retention), as it would read it with auto.offset.reset=earliest.
      long from = c == null ? starts.get(tp).offset() : c.offset();
      long owed = Math.max(0, end - from);
      if (c == null && end == 0) {
        continue; // an empty partition the group never read: nothing to report
      }
      long ms = owed == 0 ? 0 : withMs ? ageOfRecordAt(tp, from, nowMs) : -1;
      records += owed;
      // One unreadable age must not hide the known ones: -1 only when none is known.
      if (ms >= 0) {
        maxMs = Math.max(maxMs, ms);
        anyKnown = true;
      } else if (owed > 0) {
        anyUnknown = true;
      }
      partitions.add(
          new PartitionLag(tp.topic(), tp.partition(), c == null ? -1 : from, end, owed, ms));
    }
    partitions.sort(
        java.util.Comparator.comparing(PartitionLag::topic).thenComparing(PartitionLag::partition));
    return new GroupLag(
        stage, group, records, anyUnknown && !anyKnown ? -1 : maxMs, List.copyOf(partitions));
  }

  /**
   * The lag of the transformer (its repartition topics included) and of the sink of the pipeline,
   * in that order.
   */
  public List<GroupLag> pipeline(Topics topics, Mapping mapping)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<String> sourceTopics =
        new ArrayList<>(
            mapping.tables().stream().map(t -> topics.source(t.schema(), t.table())).toList());
    sourceTopics.add(topics.heartbeats());
    return List.of(
        read("transformer", topics.transformerAppId(), sourceTopics, true),
        read("sink", topics.sinkGroup(), List.of(topics.ops()), false));
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

  // The timestamp of the oldest record owed: the one at the committed offset (or the first one
  // still kept when retention removed it).
  private long ageOfRecordAt(TopicPartition tp, long offset, long nowMs) {
    if (peeker == null) {
      Map<String, Object> p = new HashMap<>(clientProps);
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, "pgconvex-lag-reader");
      p.remove(ConsumerConfig.GROUP_ID_CONFIG);
      peeker = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
    peeker.assign(List.of(tp));
    peeker.seek(tp, offset);
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : peeker.poll(Duration.ofMillis(200))) {
        return Math.max(0, nowMs - r.timestamp());
      }
    }
    return -1;
  }

  @Override
  public void close() {
    if (peeker != null) {
      peeker.close(Duration.ofSeconds(2));
    }
    admin.close(Duration.ofSeconds(5));
  }
}
