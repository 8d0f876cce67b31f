package dev.pgconvex.replay;

import dev.pgconvex.common.config.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Replays the sink: its consumer group's offsets on the ops topic, as {@code kafka-consumer-groups
 * --reset-offsets --group <prefix>-sink --topic <prefix>.ops} would move them. The position guard
 * of {@code cdc/ingest:applyBatch} makes re-applied ops harmless: one older than a document's
 * position is skipped, so nothing moves backwards.
 *
 * <p>With tables, the offsets stay where they are: the ops of those tables between the target and
 * the group's offset are copied to the end of their own partition (same key, value and position),
 * so the sink re-applies them after what it has and the other tables are not touched. Not
 * thread-safe.
 */
public final class SinkReplay {
  /** Header on a copied op: where it was copied from ({@code topic:partition:offset}). */
  public static final String COPIED_FROM_HEADER = "pgconvex.replay.copied-from";

  private static final String HEARTBEAT_TABLE = "_heartbeat";

  private final KafkaState kafka;
  private final Map<String, Object> clientProps;

  /**
   * @param clientProps the pipeline's Kafka client properties (bootstrap servers and the {@code
   *     kafka.*} keys), from {@code KafkaClients}
   */
  public SinkReplay(KafkaState kafka, Map<String, Object> clientProps) {
    this.kafka = kafka;
    this.clientProps = Map.copyOf(clientProps);
  }

  /**
   * Plans the replay; changes nothing.
   *
   * @param tables tables to restrict to (empty: every table)
   * @throws ReplayException when the sink runs, the target is out of range, or a table is unknown
   */
  public PreparedReplay prepare(
      Topics topics, ReplayTarget target, List<String> tables, Instant now) {
    return prepare(topics, target, tables, now, false);
  }

  /**
   * As {@link #prepare(Topics, ReplayTarget, List, Instant)}; with {@code force} the members of a
   * stopped sink that did not leave the group are removed first instead of refusing (the reset
   * tool's {@code --force}: make sure the sink is stopped).
   */
  public PreparedReplay prepare(
      Topics topics, ReplayTarget target, List<String> tables, Instant now, boolean force) {
    String group = topics.sinkGroup();
    List<org.apache.kafka.clients.admin.MemberDescription> stale =
        kafka.requireInactive(
            group,
            "sink",
            "to re-read rows without stopping it, use ./cdc resync --table T",
            force);
    if (!kafka.topics().contains(topics.ops())) {
      throw new ReplayException(
          "topic "
              + topics.ops()
              + " does not exist: is cdc.topic.prefix '"
              + topics.prefix()
              + "' the pipeline's? nothing was changed");
    }
    List<TopicPartition> tps = kafka.partitions(List.of(topics.ops()));
    Map<TopicPartition, Long> committed = kafka.committed(group);
    List<PartitionMove> moves = kafka.resolve(tps, target, committed, now);
    List<String> notes = new ArrayList<>(Offsets.retentionNotes(moves));
    if (committed.isEmpty()) {
      notes.add("group " + group + " has committed no offsets yet: the sink has not run");
    }
    if (tables.isEmpty()) {
      Map<TopicPartition, OffsetAndMetadata> to = new LinkedHashMap<>();
      moves.forEach(m -> to.put(m.partition(), new OffsetAndMetadata(m.target())));
      List<String> steps = new ArrayList<>(removal(group, stale));
      steps.add(
          "move the offsets of group "
              + group
              + " on "
              + topics.ops()
              + " to the targets; the sink re-applies from there when it starts (ops older"
              + " than a document's position are skipped by Convex)");
      return new PreparedReplay(
          new ReplayPlan("sink", group, target.describe(), moves, steps, notes),
          () -> {
            if (!stale.isEmpty()) {
              kafka.removeMembers(group);
            }
            kafka.get(
                kafka.admin().alterConsumerGroupOffsets(group, to).all(),
                "moving the offsets of group " + group);
          });
    }
    Set<String> wanted = tables.stream().map(TableNames::normalize).collect(Collectors.toSet());
    Map<String, Long> seen = new HashMap<>();
    long matching = scan(moves, wanted, seen, null);
    Set<String> seenNormalized =
        seen.keySet().stream().map(TableNames::normalize).collect(Collectors.toSet());
    for (String t : tables) {
      if (!seenNormalized.contains(TableNames.normalize(t))) {
        throw new ReplayException(
            "table '"
                + t
                + "' has no ops in the range to replay"
                + (seen.isEmpty()
                    ? " (the range is empty)"
                    : " (tables in it: " + String.join(", ", new TreeSet<>(seen.keySet())) + ")")
                + "; nothing was changed");
      }
    }
    List<String> steps = new ArrayList<>(removal(group, stale));
    steps.add(
        "copy the "
            + matching
            + " ops of "
            + String.join(", ", tables)
            + " in the re-read ranges to the end of their partitions (same key, value and"
            + " position); the group's offsets stay, the sink applies the copies after what it"
            + " has (an op older than a document's position is skipped by Convex)");
    notes.add(
        "with --tables the RE-READ column counts every op in the range; "
            + matching
            + " of them belong to the tables and are copied");
    return new PreparedReplay(
        new ReplayPlan("sink", group, target.describe(), moves, steps, notes),
        () -> {
          if (!stale.isEmpty()) {
            kafka.removeMembers(group);
          }
          copy(moves, wanted);
        });
  }

  /** The step that removes members left behind by a stopped stage ({@code --force}). */
  static List<String> removal(
      String group, List<org.apache.kafka.clients.admin.MemberDescription> stale) {
    return stale.isEmpty()
        ? List.of()
        : List.of(
            "remove the "
                + stale.size()
                + " member(s) of group "
                + group
                + " a stopped stage left behind (--force): "
                + KafkaState.describe(stale));
  }

  // Reads [target, current) of every partition; counts the ops per table in `seen` and, with a
  // producer, copies those of `wanted` to the end of their partition. Returns how many matched.
  private long scan(
      List<PartitionMove> moves,
      Set<String> wanted,
      Map<String, Long> seen,
      KafkaProducer<String, String> producer)
      throws ReplayException {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    // reading must never create a topic (a wrong prefix would leave one behind)
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    long matching = 0;
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      for (PartitionMove m : moves) {
        long end = m.current() < 0 ? m.logEnd() : m.current();
        if (m.target() >= end) {
          continue;
        }
        c.assign(List.of(m.partition()));
        c.seek(m.partition(), m.target());
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (c.position(m.partition()) < end) {
          if (System.nanoTime() > deadline) {
            throw new ReplayException(
                "reading " + m.name() + " took more than 120 s; nothing more was copied");
          }
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
            if (r.offset() >= end) {
              break;
            }
            String table = TableNames.ofDocRef(r.key());
            if (table == null || table.equals(HEARTBEAT_TABLE)) {
              continue;
            }
            seen.merge(table, 1L, Long::sum);
            if (!wanted.contains(TableNames.normalize(table))) {
              continue;
            }
            matching++;
            if (producer != null) {
              ProducerRecord<String, String> copy =
                  new ProducerRecord<>(r.topic(), r.partition(), r.key(), r.value());
              copy.headers()
                  .add(
                      COPIED_FROM_HEADER,
                      (r.topic() + ":" + r.partition() + ":" + r.offset())
                          .getBytes(StandardCharsets.UTF_8));
              acks.add(producer.send(copy));
            }
          }
        }
      }
    }
    if (producer != null) {
      producer.flush();
      for (Future<RecordMetadata> f : acks) {
        try {
          f.get(KafkaState.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          throw new ReplayException(
              "Kafka did not acknowledge a copied op ("
                  + e.getMessage()
                  + "); run the replay again: a copy made twice is harmless (position guard)");
        }
      }
    }
    return matching;
  }

  private void copy(List<PartitionMove> moves, Set<String> wanted) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      scan(moves, wanted, new HashMap<>(), producer);
    }
  }
}
