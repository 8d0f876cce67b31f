package dev.pgconvex.common.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.lineage.SourceIdentity;
import dev.pgconvex.common.lineage.TargetIdentity;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The compacted topic {@code <prefix>.lineage} (one partition): key {@value #SOURCE} holds the
 * {@link SourceIdentity} the pipeline's Kafka state was made from (written by the source), key
 * {@value #TARGET} the {@link TargetIdentity} of the Convex mirror its ids belong to (written by
 * the sink). Reads are a full scan of the partition (a handful of records). Not thread-safe; each
 * call opens and closes its own client.
 */
public final class LineageTopic {
  public static final String SOURCE = "source";
  public static final String TARGET = "target";

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final String topic;
  private final Map<String, Object> clientProps;

  /**
   * @param topic the topic name ({@code Topics.lineage()})
   * @param clientProps bootstrap servers and the pass-through client keys (security settings)
   */
  public LineageTopic(String topic, Map<String, Object> clientProps) {
    this.topic = topic;
    this.clientProps = Map.copyOf(clientProps);
  }

  /** The topic's definition: compacted, one partition, so records keep their order. */
  public static NewTopic definition(String topic, short replicationFactor) {
    return new NewTopic(topic, 1, replicationFactor)
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  /** Creates the topic when missing. */
  public void ensure(Admin admin, short replicationFactor) {
    TopicBootstrap.ensure(admin, List.of(definition(topic, replicationFactor)));
  }

  /** The recorded source identity, if any. */
  public Optional<SourceIdentity> source() {
    return Optional.ofNullable(readAll().get(SOURCE)).map(SourceIdentity::fromJson);
  }

  /** The recorded target identity, if any. */
  public Optional<TargetIdentity> target() {
    return Optional.ofNullable(readAll().get(TARGET)).map(TargetIdentity::fromJson);
  }

  public void recordSource(SourceIdentity id) {
    write(SOURCE, id.toJson());
  }

  public void recordTarget(TargetIdentity id) {
    write(TARGET, id.toJson());
  }

  /** The latest value of every key (a null value removes the key). */
  public Map<String, JsonNode> readAll() {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    TopicPartition tp = new TopicPartition(topic, 0);
    Map<String, JsonNode> out = new HashMap<>();
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp), TIMEOUT).get(tp);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (c.position(tp, TIMEOUT) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Kafka did not return topic " + topic + " within " + TIMEOUT.toSeconds() + " s");
        }
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          if (r.value() == null) {
            out.remove(r.key());
          } else {
            out.put(r.key(), Json.parse(r.value()));
          }
        }
      }
    }
    return out;
  }

  private void write(String key, JsonNode value) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer
          .send(new ProducerRecord<>(topic, 0, key, Json.write(value)))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while writing to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Kafka did not acknowledge the " + key + " record of " + topic + ": " + e, e);
    }
  }
}
