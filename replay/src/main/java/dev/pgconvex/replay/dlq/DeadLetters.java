package dev.pgconvex.replay.dlq;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.replay.ReplayException;
import dev.pgconvex.replay.TableNames;
import dev.pgconvex.replay.TopicReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dead letters of a pipeline, read from {@code <prefix>.dlq} from its beginning (without a
 * group: nothing is committed or removed), joined with {@code <prefix>.dlq-replays} for their
 * attempt and whether they were replayed. Stateless.
 */
public final class DeadLetters {
  private DeadLetters() {}

  /** Which dead letters: each null/empty field selects all. */
  public record Filter(Instant since, String stage, String table, String reasonContains) {
    public static final Filter ALL = new Filter(null, null, null, null);

    public boolean test(DeadLetterEntry e) {
      if (since != null && e.letter().ts() < since.toEpochMilli()) {
        return false;
      }
      if (stage != null && !stage.equalsIgnoreCase(String.valueOf(e.letter().stage()))) {
        return false;
      }
      if (table != null
          && (e.table() == null
              || !TableNames.normalize(table).equals(TableNames.normalize(e.table())))) {
        return false;
      }
      return reasonContains == null
          || (e.letter().reason() != null
              && e.letter()
                  .reason()
                  .toLowerCase(Locale.ROOT)
                  .contains(reasonContains.toLowerCase(Locale.ROOT)));
    }
  }

  /**
   * Every dead letter of the pipeline, oldest first per partition.
   *
   * @throws ReplayException when the dead-letter topic does not exist
   */
  public static List<DeadLetterEntry> read(Topics topics, Map<String, Object> clientProps) {
    Map<String, ReplayLog.Replayed> replays =
        new ReplayLog(topics.dlqReplays(), clientProps).readAll();
    Map<String, Integer> attemptAt = new HashMap<>();
    replays.values().forEach(r -> attemptAt.merge(r.location(), r.attempt(), Math::max));
    List<DeadLetterEntry> out = new ArrayList<>();
    boolean exists =
        TopicReader.readAll(
            clientProps,
            topics.deadLetters(),
            r -> {
              DeadLetter d = parse(r.value(), r.key(), r.timestamp());
              String origin = d.topic() + ":" + d.partition() + ":" + d.offset();
              out.add(
                  new DeadLetterEntry(
                      r.partition(),
                      r.offset(),
                      d,
                      tableOf(d, topics),
                      attemptAt.getOrDefault(origin, 1),
                      replays.containsKey(r.partition() + ":" + r.offset())));
            });
    if (!exists) {
      throw new ReplayException(
          "topic "
              + topics.deadLetters()
              + " does not exist: is cdc.topic.prefix '"
              + topics.prefix()
              + "' the pipeline's?");
    }
    return out;
  }

  /** The entries {@code filter} selects. */
  public static List<DeadLetterEntry> select(List<DeadLetterEntry> all, Filter filter) {
    return all.stream().filter(filter::test).toList();
  }

  static DeadLetter parse(String value, String key, long kafkaTs) {
    if (value != null) {
      try {
        return Json.MAPPER.readValue(value, DeadLetter.class);
      } catch (Exception e) {
        // below
      }
    }
    return new DeadLetter(
        "unknown",
        "unreadable dead letter (not the JSON of docs/contracts.md)",
        null,
        -1,
        -1,
        key,
        value,
        kafkaTs);
  }

  /** The Convex table of a doc-ref key, else the table part of a Debezium topic. */
  static String tableOf(DeadLetter d, Topics topics) {
    String fromKey = TableNames.ofDocRef(d.key());
    if (fromKey != null) {
      return fromKey;
    }
    String t = d.topic();
    if (t == null) {
      return null;
    }
    if (t.equals(topics.ops())) {
      return null;
    }
    int dot = t.lastIndexOf('.');
    return dot >= 0 ? t.substring(dot + 1) : t;
  }
}
