package dev.pgconvex.replay;

import dev.pgconvex.common.config.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Replays the transformer as the Kafka Streams application reset tool ({@code
 * kafka-streams-application-reset}, {@code StreamsResetter}) does, so the foreign-key state is
 * rebuilt consistently instead of answering from state that no longer matches the offsets:
 *
 * <ol>
 *   <li>refuses while the application's group ({@code <prefix>-transformer}) has members;
 *   <li>moves the input topics' offsets: the Debezium table topics to the target, {@code
 *       <prefix>.ids} to its earliest offset (it is compacted: every parent id is read again into
 *       the rebuilt {@code parent-ids} store), {@code <prefix>.heartbeats} to its end (heartbeats
 *       are markers with nothing to rebuild);
 *   <li>deletes the group's offsets on the internal repartition topics and deletes every internal
 *       topic of the application ({@code <app>-*-repartition}, {@code <app>-*-changelog}; the reset
 *       tool's default set, which KIP-623's {@code --internal-topics} narrows): Streams creates
 *       them again, empty, at its next start;
 *   <li>deletes the local state directory ({@code <state.dir>/<app>}), as {@code
 *       KafkaStreams#cleanUp()} does, so no store is restored from a local copy.
 * </ol>
 *
 * Not thread-safe.
 */
public final class TransformerReplay {
  private static final Duration DELETE_WAIT = Duration.ofSeconds(60);

  private final KafkaState kafka;

  public TransformerReplay(KafkaState kafka) {
    this.kafka = kafka;
  }

  /** A topic of the transformer's own: {@code <app>-...-repartition} or {@code -changelog}. */
  public static boolean isInternal(String appId, String topic) {
    return topic.startsWith(appId + "-")
        && (topic.endsWith("-repartition") || topic.endsWith("-changelog"));
  }

  /** A Debezium table topic {@code <prefix>.<schema>.<table>}. */
  public static boolean isSourceTopic(Topics topics, String topic) {
    String head = topics.prefix() + ".";
    if (!topic.startsWith(head)) {
      return false;
    }
    String rest = topic.substring(head.length());
    int dot = rest.indexOf('.');
    return dot > 0 && dot < rest.length() - 1 && rest.indexOf('.', dot + 1) < 0;
  }

  /**
   * Plans the replay; changes nothing.
   *
   * @param tables tables whose topics are replayed (empty: all); the state is rebuilt for all
   * @param stateDir the transformer's {@code transformer.state.dir} on this machine, or null when
   *     it runs elsewhere (the plan then says to delete it there)
   */
  public PreparedReplay prepare(
      Topics topics, ReplayTarget target, List<String> tables, Path stateDir, Instant now) {
    String app = topics.transformerAppId();
    kafka.requireInactive(
        app, "transformer", "to re-read rows while the pipeline runs, use ./cdc resync --table T");
    Map<TopicPartition, Long> committed = kafka.committed(app);
    if (committed.isEmpty()) {
      throw new ReplayException(
          "the transformer (group "
              + app
              + ") has committed no offsets: it has not run yet, so there is nothing to replay");
    }
    Set<String> all = kafka.topics();
    Set<String> sources =
        committed.keySet().stream()
            .map(TopicPartition::topic)
            .filter(t -> isSourceTopic(topics, t) && all.contains(t))
            .collect(Collectors.toCollection(TreeSet::new));
    if (!tables.isEmpty()) {
      Set<String> chosen = new TreeSet<>();
      for (String t : tables) {
        String n = TableNames.normalize(t);
        List<String> match =
            sources.stream().filter(s -> TableNames.normalize(s).equals(n)).toList();
        if (match.isEmpty()) {
          throw new ReplayException(
              "unknown table '"
                  + t
                  + "': the transformer reads "
                  + sources.stream()
                      .map(s -> s.substring(topics.prefix().length() + 1))
                      .collect(Collectors.joining(", "))
                  + "; nothing was changed");
        }
        chosen.addAll(match);
      }
      sources = chosen;
    }
    List<TopicPartition> sourceTps = kafka.partitions(sources);
    List<PartitionMove> moves = new ArrayList<>(kafka.resolve(sourceTps, target, committed, now));
    List<String> notes = new ArrayList<>(Offsets.retentionNotes(moves));
    List<TopicPartition> idsTps =
        all.contains(topics.ids()) ? kafka.partitions(List.of(topics.ids())) : List.of();
    moves.addAll(kafka.resolve(idsTps, ReplayTarget.ToEarliest.INSTANCE, committed, now));
    List<TopicPartition> hbTps =
        all.contains(topics.heartbeats())
            ? kafka.partitions(List.of(topics.heartbeats()))
            : List.of();
    var hbEnd = kafka.offsets(hbTps, OffsetSpec.latest(), "reading the heartbeats' end");
    var hbStart = kafka.offsets(hbTps, OffsetSpec.earliest(), "reading the heartbeats' start");
    for (TopicPartition tp : hbTps) {
      long end = hbEnd.get(tp).offset();
      moves.add(
          new PartitionMove(
              tp, committed.getOrDefault(tp, -1L), end, hbStart.get(tp).offset(), end));
    }
    List<String> internal = all.stream().filter(t -> isInternal(app, t)).sorted().toList();
    Set<TopicPartition> repartitionOffsets = new HashSet<>();
    committed.keySet().stream()
        .filter(tp -> isInternal(app, tp.topic()) && tp.topic().endsWith("-repartition"))
        .forEach(repartitionOffsets::add);
    Path local = stateDir == null ? null : stateDir.resolve(app);
    List<String> steps = new ArrayList<>();
    steps.add(
        "move the offsets of group "
            + app
            + ": "
            + sources.size()
            + " table topic(s) to the target, "
            + topics.ids()
            + " to its earliest offset (every parent id is read again), "
            + topics.heartbeats()
            + " to its end");
    if (!repartitionOffsets.isEmpty()) {
      steps.add(
          "delete the group's offsets on "
              + repartitionOffsets.stream()
                  .map(TopicPartition::topic)
                  .distinct()
                  .sorted()
                  .collect(Collectors.joining(", ")));
    }
    if (!internal.isEmpty()) {
      steps.add(
          "delete the internal topics "
              + String.join(", ", internal)
              + " (the state stores' changelogs and the repartition topics; Streams creates them"
              + " again, empty, at its next start)");
    }
    if (local != null && Files.exists(local)) {
      steps.add("delete the local Kafka Streams state in " + local);
    } else if (local == null) {
      notes.add(
          "the transformer runs elsewhere: delete its local state (transformer.state.dir/"
              + app
              + ") on every host before starting it again, as KafkaStreams#cleanUp() does");
    }
    notes.add(
        "the rows, parent-ids and subscriptions stores are rebuilt for every table; a row held"
            + " for a parent (./cdc pending) whose change lies before the target leaves the state:"
            + " replay from before the oldest held row, or --to-earliest");
    Map<TopicPartition, OffsetAndMetadata> to = new LinkedHashMap<>();
    moves.forEach(m -> to.put(m.partition(), new OffsetAndMetadata(m.target())));
    return new PreparedReplay(
        new ReplayPlan("transformer", app, target.describe(), moves, steps, notes),
        () -> {
          kafka.get(
              kafka.admin().alterConsumerGroupOffsets(app, to).all(),
              "moving the offsets of group " + app);
          if (!repartitionOffsets.isEmpty()) {
            kafka.get(
                kafka.admin().deleteConsumerGroupOffsets(app, repartitionOffsets).all(),
                "deleting the offsets of group " + app + " on its repartition topics");
          }
          if (!internal.isEmpty()) {
            kafka.get(kafka.admin().deleteTopics(internal).all(), "deleting the internal topics");
            awaitGone(internal);
          }
          if (local != null) {
            deleteRecursively(local);
          }
        });
  }

  // Topic deletion completes asynchronously: Streams must not find the old topics at its start.
  private void awaitGone(List<String> deleted) throws InterruptedException {
    long deadline = System.nanoTime() + DELETE_WAIT.toNanos();
    while (true) {
      Set<String> left = new TreeSet<>(kafka.topics());
      left.retainAll(deleted);
      if (left.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new ReplayException(
            "Kafka still lists " + left + " " + DELETE_WAIT.toSeconds() + " s after deleting them");
      }
      Thread.sleep(200); // polling the broker's metadata, not waiting for a test condition
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
