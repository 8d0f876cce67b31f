package dev.pgconvex.source.preflight;

import dev.pgconvex.source.config.SourceSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Whether the offsets topic already holds a position for this source. A stored position with no
 * slot means the WAL since that position is gone: starting would silently skip it.
 */
public final class StoredOffsets {
  private StoredOffsets() {}

  /**
   * Reads {@code <prefix>.offsets} to its end.
   *
   * @param engineName the Debezium engine name the offsets are stored under
   * @return true when a non-null offset of {@code engineName} is stored
   * @throws SourceUnavailableException when Kafka does not answer within {@code timeout}
   */
  public static boolean exist(Admin admin, SourceSettings s, String engineName, Duration timeout)
      throws InterruptedException {
    String topic = s.topics().offsets();
    try {
      Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!names.contains(topic)) {
        return false;
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new SourceUnavailableException(
          "Cannot list topics on " + s.bootstrapServers() + ": " + e, e);
    }
    Map<String, Object> p = new HashMap<>(s.kafkaClientProps());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "pgconvex-source-offsets-check");
    // Debezium writes the key ["<engine name>",{"server":"<prefix>"}].
    byte[] marker = ("[\"" + engineName + "\"").getBytes(StandardCharsets.UTF_8);
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic, timeout).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
      boolean found = false;
      while (parts.stream().anyMatch(tp -> c.position(tp, timeout) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new SourceUnavailableException(
              "Timed out reading " + topic + " on " + s.bootstrapServers(), null);
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() != null && startsWith(r.key(), marker)) {
            // Compacted topic: the last record of the key wins; null is a deleted offset.
            found = r.value() != null;
          }
        }
      }
      return found;
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new SourceUnavailableException("Cannot read " + topic + ": " + e, e);
    }
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
