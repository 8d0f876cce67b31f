package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.internals.Markers;
import dev.pgconvex.transformer.internals.PendingCounts;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * The transformer's part of end-to-end lag (docs/contracts.md, "Heartbeat"): each record of {@code
 * <prefix>.heartbeats} becomes one heartbeat op per ops partition, and {@link #PARTITIONER} writes
 * each to the partition its key names, so every partition the sink reads shows that the chain
 * flows, even one no row has gone to for hours. Stateless.
 */
final class Heartbeats {
  /**
   * Sends the op keyed {@code _heartbeat/<n>} to partition {@code n} (modulo the topic's actual
   * partition count, should it differ from {@code cdc.topic.partitions}); anything else is left to
   * the default partitioner.
   */
  private static final String KEY_PREFIX = Operation.HEARTBEAT_TABLE + "/";

  static final StreamPartitioner<String, String> PARTITIONER = Markers.partitioner(KEY_PREFIX);

  private Heartbeats() {}

  /**
   * The heartbeat ops for one heartbeat record, one per partition {@code 0..partitions-1} as (doc
   * ref, op JSON); none for a record that is not a heartbeat (counted in {@code
   * pgconvex.transformer.heartbeats.skipped{reason}} and warned once: only the source writes the
   * topic).
   */
  static List<KeyValue<String, String>> fanOut(
      String value, int partitions, Topics topics, PendingCounts counts) {
    JsonNode beat;
    try {
      beat = value == null ? null : Json.parse(value);
    } catch (IllegalArgumentException e) {
      beat = null;
    }
    if (beat == null || !beat.path("commitTs").canConvertToLong()) {
      counts.heartbeatSkipped(
          beat == null ? "not_json" : "no_commit_ts",
          () ->
              "Ignoring a record of "
                  + topics.heartbeats()
                  + " that is not a heartbeat {\"commitTs\",\"lsn\"} ("
                  + (value == null ? "null" : abbreviate(value))
                  + "): end-to-end lag is measured from the next one. Only the source writes that"
                  + " topic; find what else writes it");
      return List.of();
    }
    String position = Position.of(beat.path("lsn").asLong(0L), 0);
    long commitTs = beat.path("commitTs").asLong();
    List<KeyValue<String, String>> out = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      Operation op = Operation.heartbeat(p, position, commitTs);
      out.add(KeyValue.pair(op.ref().toString(), Json.write(op)));
    }
    return out;
  }

  /** The partition a heartbeat op's key names, or null for any other key. */
  static Integer partitionOf(String key) {
    return Markers.partitionOf(KEY_PREFIX, key);
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
