package dev.pgconvex.replay;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.kafka.LineageTopic;
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
  private final Map<String, Object> clientProps;

  /**
   * @param clientProps the pipeline's Kafka client properties (for {@code --new-mirror}'s lineage
   *     record)
   */
  public TransformerReplay(KafkaState kafka, Map<String, Object> clientProps) {
    this.kafka = kafka;
    this.clientProps = Map.copyOf(clientProps);
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
    return prepare(topics, target, tables, stateDir, now, false);
  }

  /**
   * As {@link #prepare(Topics, ReplayTarget, List, Path, Instant)}; with {@code newMirror} the
   * replay fills a new, empty Convex deployment (the old one was lost): every table from the
   * earliest offsets, and the state that belongs to the old deployment goes too: {@code
   * <prefix>.ids} (its ids) is emptied, the sink's group is moved to the end of {@code
   * <prefix>.ops} (those ops carry ids of the old deployment; the transformer writes them again)
   * and the mirror recorded in {@code <prefix>.lineage} is removed, so the sink claims the new
   * deployment. Refused when retention removed records of a table topic: the topics no longer hold
   * every row.
   */
  public PreparedReplay prepare(
      Topics topics,
      ReplayTarget target,
      List<String> tables,
      Path stateDir,
      Instant now,
      boolean newMirror) {
    return prepare(topics, target, tables, stateDir, now, newMirror, false);
  }

  /**
   * As above; with {@code force} the members of a stopped transformer (and, with {@code newMirror},
   * sink) that did not leave their group are removed first instead of refusing, as the reset tool's
   * {@code --force} does: make sure the stages are stopped.
   */
  public PreparedReplay prepare(
      Topics topics,
      ReplayTarget target,
      List<String> tables,
      Path stateDir,
      Instant now,
      boolean newMirror,
      boolean force) {
    String app = topics.transformerAppId();
    if (newMirror && !(target instanceof ReplayTarget.ToEarliest)) {
      throw new ReplayException(
          "--new-mirror needs --to-earliest: an empty deployment needs every change the topics"
              + " hold");
    }
    if (newMirror && !tables.isEmpty()) {
      throw new ReplayException(
          "--new-mirror replays every table: an empty deployment needs them all (leave out"
              + " --tables)");
    }
    String instead = "to re-read rows without stopping it, use ./cdc resync --table T";
    var staleApp = kafka.requireInactive(app, "transformer", instead, force);
    List<org.apache.kafka.clients.admin.MemberDescription> staleSink =
        newMirror ? kafka.requireInactive(topics.sinkGroup(), "sink", instead, force) : List.of();
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
    if (newMirror) {
      for (PartitionMove m : moves) {
        if (m.logStart() > 0) {
          throw new ReplayException(
              "retention removed the first "
                  + m.logStart()
                  + " records of "
                  + m.name()
                  + ", so the topics no longer hold every row and a replay cannot fill an empty"
                  + " deployment: run ./cdc reset and start the pipeline again (a fresh snapshot"
                  + " fills it), or replay and then ./cdc resync every table; nothing was changed");
        }
      }
      notes.clear();
    }
    List<TopicPartition> idsTps =
        all.contains(topics.ids()) ? kafka.partitions(List.of(topics.ids())) : List.of();
    if (!newMirror) {
      moves.addAll(kafka.resolve(idsTps, ReplayTarget.ToEarliest.INSTANCE, committed, now));
    }
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
    List<String> steps = new ArrayList<>(SinkReplay.removal(app, staleApp));
    steps.addAll(SinkReplay.removal(topics.sinkGroup(), staleSink));
    steps.add(
        "move the offsets of group "
            + app
            + ": "
            + sources.size()
            + " table topic(s) to the target, "
            + (newMirror
                ? ""
                : topics.ids() + " to its earliest offset (every parent id is read again), ")
            + topics.heartbeats()
            + " to its end");
    NewMirror mirror = newMirror ? newMirror(topics, idsTps, committed, steps) : null;
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
          if (!staleApp.isEmpty()) {
            kafka.removeMembers(app);
          }
          if (!staleSink.isEmpty()) {
            kafka.removeMembers(topics.sinkGroup());
          }
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
          if (mirror != null) {
            mirror.run();
          }
        });
  }

  /** The part of {@code --new-mirror} beyond the reset: the old deployment's ids and mirror. */
  private final class NewMirror {
    private final Topics topics;
    private final Set<TopicPartition> idsOffsets;
    private final Map<TopicPartition, OffsetAndMetadata> sinkToEnd;
    private final int idsPartitions;
    private final short idsReplication;

    NewMirror(
        Topics topics,
        Set<TopicPartition> idsOffsets,
        Map<TopicPartition, OffsetAndMetadata> sinkToEnd,
        int idsPartitions,
        short idsReplication) {
      this.topics = topics;
      this.idsOffsets = idsOffsets;
      this.sinkToEnd = sinkToEnd;
      this.idsPartitions = idsPartitions;
      this.idsReplication = idsReplication;
    }

    void run() throws Exception {
      String app = topics.transformerAppId();
      if (!idsOffsets.isEmpty()) {
        kafka.get(
            kafka.admin().deleteConsumerGroupOffsets(app, idsOffsets).all(),
            "deleting the offsets of group " + app + " on " + topics.ids());
      }
      if (idsPartitions > 0) {
        kafka.get(kafka.admin().deleteTopics(List.of(topics.ids())).all(), "deleting the ids");
        awaitGone(List.of(topics.ids()));
        kafka.get(
            kafka
                .admin()
                .createTopics(
                    List.of(
                        new org.apache.kafka.clients.admin.NewTopic(
                                topics.ids(), idsPartitions, idsReplication)
                            .configs(
                                Map.of(
                                    org.apache.kafka.common.config.TopicConfig
                                        .CLEANUP_POLICY_CONFIG,
                                    org.apache.kafka.common.config.TopicConfig
                                        .CLEANUP_POLICY_COMPACT))))
                .all(),
            "creating " + topics.ids() + " again");
      }
      if (!sinkToEnd.isEmpty()) {
        kafka.get(
            kafka.admin().alterConsumerGroupOffsets(topics.sinkGroup(), sinkToEnd).all(),
            "moving the offsets of group " + topics.sinkGroup());
      }
      Map<String, Object> p = new java.util.HashMap<>(clientProps);
      p.put(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG, "all");
      try (var producer =
          new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
              p,
              new org.apache.kafka.common.serialization.StringSerializer(),
              new org.apache.kafka.common.serialization.StringSerializer())) {
        producer
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<String, String>(
                    topics.lineage(), 0, LineageTopic.TARGET, null))
            .get(KafkaState.TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }
  }

  private NewMirror newMirror(
      Topics topics,
      List<TopicPartition> idsTps,
      Map<TopicPartition, Long> committed,
      List<String> steps) {
    Set<String> all = kafka.topics();
    Set<TopicPartition> idsOffsets = new HashSet<>();
    idsTps.stream().filter(committed::containsKey).forEach(idsOffsets::add);
    short rf = 1;
    if (!idsTps.isEmpty()) {
      rf =
          (short)
              kafka
                  .get(
                      kafka.admin().describeTopics(List.of(topics.ids())).allTopicNames(),
                      "describing " + topics.ids())
                  .get(topics.ids())
                  .partitions()
                  .get(0)
                  .replicas()
                  .size();
    }
    Map<TopicPartition, OffsetAndMetadata> sinkToEnd = new LinkedHashMap<>();
    if (all.contains(topics.ops())) {
      List<TopicPartition> ops = kafka.partitions(List.of(topics.ops()));
      kafka
          .offsets(ops, OffsetSpec.latest(), "reading the end of " + topics.ops())
          .forEach((tp, info) -> sinkToEnd.put(tp, new OffsetAndMetadata(info.offset())));
    }
    if (!idsTps.isEmpty()) {
      steps.add(
          "empty "
              + topics.ids()
              + " (delete it and create it again with "
              + idsTps.size()
              + " partitions): its ids belong to the lost deployment; the sink publishes the new"
              + " ones");
    }
    steps.add(
        "move the offsets of group "
            + topics.sinkGroup()
            + " to the end of "
            + topics.ops()
            + " (those ops carry ids of the lost deployment; the transformer writes every row"
            + " again)");
    steps.add(
        "remove the mirror recorded in "
            + topics.lineage()
            + " (key target), so the sink claims the new deployment at its start");
    return new NewMirror(topics, idsOffsets, sinkToEnd, idsTps.size(), rf);
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
