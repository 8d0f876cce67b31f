package dev.pgconvex.replay.dlq;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.replay.KafkaState;
import dev.pgconvex.replay.ReplayException;
import dev.pgconvex.replay.TopicReader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code <prefix>.dlq-replays}: what {@code ./cdc dlq replay} re-injected, so a second replay does
 * not repeat it unless asked ({@code --again}), and a dead letter of a re-injected record knows its
 * attempt. Compacted, one partition; key {@code <dlq partition>:<dlq offset>}, value {@link
 * Replayed} as JSON (docs/contracts.md). Not thread-safe.
 */
public final class ReplayLog {
  /**
   * One re-injection.
   *
   * @param dlqPartition where the dead letter is in the dead-letter topic
   * @param dlqOffset its offset there
   * @param topic where the record was re-injected
   * @param partition its partition there
   * @param offset the offset it got
   * @param attempt 2 for the first re-injection of a first failure, and so on
   * @param replayedAt epoch ms
   */
  public record Replayed(
      int dlqPartition,
      long dlqOffset,
      String topic,
      int partition,
      long offset,
      int attempt,
      long replayedAt) {
    /** {@code topic:partition:offset} of the re-injected record. */
    public String location() {
      return topic + ":" + partition + ":" + offset;
    }

    String key() {
      return dlqPartition + ":" + dlqOffset;
    }
  }

  private final String topic;
  private final Map<String, Object> clientProps;

  public ReplayLog(String topic, Map<String, Object> clientProps) {
    this.topic = topic;
    this.clientProps = Map.copyOf(clientProps);
  }

  /** Every re-injection recorded, by dead-letter id ({@code partition:offset}). */
  public Map<String, Replayed> readAll() {
    Map<String, Replayed> out = new HashMap<>();
    TopicReader.readAll(
        clientProps,
        topic,
        r -> {
          if (r.key() == null) {
            return;
          }
          if (r.value() == null) {
            out.remove(r.key());
            return;
          }
          try {
            JsonNode n = Json.parse(r.value());
            out.put(
                r.key(),
                new Replayed(
                    n.path("dlqPartition").asInt(),
                    n.path("dlqOffset").asLong(),
                    n.path("topic").asText(),
                    n.path("partition").asInt(),
                    n.path("offset").asLong(),
                    n.path("attempt").asInt(),
                    n.path("replayedAt").asLong()));
          } catch (IllegalArgumentException e) {
            // not ours: ignored
          }
        });
    return out;
  }

  /** Creates the topic when missing (compacted, one partition). */
  public void ensure(Admin admin, short replicationFactor) {
    try {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topic, 1, replicationFactor)
                      .configs(
                          Map.of(
                              TopicConfig.CLEANUP_POLICY_CONFIG,
                              TopicConfig.CLEANUP_POLICY_COMPACT))))
          .all()
          .get(KafkaState.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new ReplayException("cannot create " + topic + ": " + e.getCause().getMessage());
      }
    } catch (java.util.concurrent.TimeoutException e) {
      throw new ReplayException("Kafka did not create " + topic + " in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("interrupted");
    }
  }

  /** Records {@code r} (waits for the broker's acknowledgement). */
  public void record(KafkaProducer<String, String> producer, Replayed r) throws Exception {
    producer
        .send(new ProducerRecord<>(topic, 0, r.key(), Json.write(r)))
        .get(KafkaState.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  static KafkaProducer<String, String> producer(Map<String, Object> props) {
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }
}
