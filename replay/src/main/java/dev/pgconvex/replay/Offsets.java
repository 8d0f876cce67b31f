package dev.pgconvex.replay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * The offset arithmetic of a replay, apart from Kafka: from a target and what the broker answered
 * (log start and end, the offsets for a time), the target offset of every partition, with the
 * retention checks. Stateless.
 */
public final class Offsets {
  private Offsets() {}

  /**
   * @param time the instant of a {@code --to-datetime} or {@code --by-duration}, else null
   * @param byTime {@code listOffsets(forTimestamp(time))}: the first record at or after the time
   *     (offset -1 when there is none: the target is the end)
   * @throws ReplayException when a target lies before the log start (retention removed what would
   *     be re-read), after the end, or names a partition outside {@code tps}
   */
  public static List<PartitionMove> moves(
      List<TopicPartition> tps,
      ReplayTarget target,
      Instant time,
      Map<TopicPartition, Long> committed,
      Map<TopicPartition, Long> logStart,
      Map<TopicPartition, Long> logEnd,
      Map<TopicPartition, ListOffsetsResultInfo> byTime) {
    if (target instanceof ReplayTarget.ToOffsets o) {
      Set<TopicPartition> known = new HashSet<>(tps);
      for (TopicPartition tp : o.offsets().keySet()) {
        if (!known.contains(tp)) {
          throw new ReplayException(
              "--to-offset names "
                  + tp.topic()
                  + ":"
                  + tp.partition()
                  + ", which this stage does not read; its partitions are "
                  + names(tps));
        }
      }
    }
    List<PartitionMove> out = new ArrayList<>();
    for (TopicPartition tp : tps) {
      long start = logStart.get(tp);
      long end = logEnd.get(tp);
      long current = committed.getOrDefault(tp, -1L);
      long to;
      if (target instanceof ReplayTarget.ToEarliest) {
        to = start;
      } else if (target instanceof ReplayTarget.ToOffsets o) {
        Long wanted = o.offsets().get(tp);
        if (wanted == null) {
          continue; // not named: left where it is
        }
        if (wanted < start) {
          throw new ReplayException(
              "--to-offset "
                  + tp.topic()
                  + ":"
                  + tp.partition()
                  + ":"
                  + wanted
                  + " is before the partition's earliest offset "
                  + start
                  + " (older records were removed by retention): choose an offset from "
                  + start
                  + ", or re-read the rows with ./cdc resync; nothing was changed");
        }
        if (wanted > end) {
          throw new ReplayException(
              "--to-offset "
                  + tp.topic()
                  + ":"
                  + tp.partition()
                  + ":"
                  + wanted
                  + " is past the partition's end offset "
                  + end
                  + "; nothing was changed");
        }
        to = wanted;
      } else {
        ListOffsetsResultInfo found = byTime.get(tp);
        long offset = found == null ? -1 : found.offset();
        if (offset < 0) {
          to = end; // no record at or after the time: nothing to re-read
        } else {
          if (start > 0 && offset == start && found.timestamp() > time.toEpochMilli()) {
            throw new ReplayException(
                tp.topic()
                    + ":"
                    + tp.partition()
                    + " keeps records only from "
                    + Instant.ofEpochMilli(found.timestamp())
                    + " (offset "
                    + start
                    + "; older ones were removed by retention), so a replay from "
                    + time
                    + " would miss changes: choose a later time, or re-read the rows with ./cdc"
                    + " resync; nothing was changed");
          }
          to = offset;
        }
      }
      out.add(new PartitionMove(tp, current, to, start, end));
    }
    return out;
  }

  /** Notes for partitions whose earliest records are gone (log start above 0). */
  public static List<String> retentionNotes(List<PartitionMove> moves) {
    List<String> out = new ArrayList<>();
    for (PartitionMove m : moves) {
      if (m.logStart() > 0 && m.target() == m.logStart()) {
        out.add(
            m.name()
                + " starts at offset "
                + m.logStart()
                + ": the "
                + m.logStart()
                + " records before it were removed by retention and are not replayed; a change"
                + " only they held reaches Convex by ./cdc resync (for a lost Convex deployment:"
                + " ./cdc reset --convex-data, then a run with a fresh snapshot)");
      }
    }
    return out;
  }

  static String names(List<TopicPartition> tps) {
    List<String> n = new ArrayList<>();
    for (TopicPartition tp : tps) {
      n.add(tp.topic() + ":" + tp.partition());
    }
    return String.join(", ", n);
  }
}
