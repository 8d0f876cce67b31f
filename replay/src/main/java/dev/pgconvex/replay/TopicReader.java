package dev.pgconvex.replay;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a whole topic, every partition from its beginning to the end it had when the read began,
 * without a consumer group: nothing is committed and nothing is removed (the dead-letter topic is
 * never consumed destructively). Stateless.
 */
public final class TopicReader {
  private static final Duration LIMIT = Duration.ofSeconds(120);

  private TopicReader() {}

  /**
   * @param clientProps the pipeline's client properties
   * @param each called with every record, partition by partition, in offset order
   * @return false when the topic does not exist
   */
  public static boolean readAll(
      Map<String, Object> clientProps,
      String topic,
      Consumer<ConsumerRecord<String, String>> each) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    // reading must never create a topic (a wrong prefix would leave one behind)
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<PartitionInfo> parts = c.partitionsFor(topic, KafkaState.TIMEOUT);
      if (parts == null || parts.isEmpty()) {
        return false;
      }
      for (PartitionInfo info :
          parts.stream()
              .sorted(java.util.Comparator.comparingInt(PartitionInfo::partition))
              .toList()) {
        TopicPartition tp = new TopicPartition(topic, info.partition());
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        long end = c.endOffsets(List.of(tp), KafkaState.TIMEOUT).get(tp);
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (c.position(tp, KafkaState.TIMEOUT) < end) {
          if (System.nanoTime() > deadline) {
            throw new ReplayException(
                "Kafka did not return " + topic + " within " + LIMIT.toSeconds() + " s");
          }
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
            if (r.offset() < end) {
              each.accept(r);
            }
          }
        }
      }
      return true;
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new ReplayException(
          "Kafka did not answer within "
              + KafkaState.TIMEOUT.toSeconds()
              + " s while reading "
              + topic
              + " (is the broker running? check --kafka and the kafka.* security keys)");
    }
  }
}
