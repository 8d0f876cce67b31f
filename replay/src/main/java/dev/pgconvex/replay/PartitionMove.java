package dev.pgconvex.replay;

import org.apache.kafka.common.TopicPartition;

/**
 * One partition of a replay: where the group stands and where it is moved to.
 *
 * @param partition the topic partition
 * @param current the group's committed offset, or -1 when it has none (it would start from the
 *     reset policy's end)
 * @param target the offset the group is moved to
 * @param logStart the earliest offset still in the partition (above 0: retention or deletion
 *     removed the records before it)
 * @param logEnd the offset the next record will get
 */
public record PartitionMove(
    TopicPartition partition, long current, long target, long logStart, long logEnd) {

  /** Records the group will read again: from the target up to where it stands (0 when ahead). */
  public long reread() {
    long from = current < 0 ? logEnd : current;
    return Math.max(0, from - target);
  }

  /** {@code topic:partition}. */
  public String name() {
    return partition.topic() + ":" + partition.partition();
  }
}
