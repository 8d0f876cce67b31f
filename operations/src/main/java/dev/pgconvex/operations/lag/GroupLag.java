package dev.pgconvex.operations.lag;

import java.util.List;

/**
 * How far one consumer group (a stage) is behind the end of its topics.
 *
 * @param stage {@code transformer} or {@code sink}
 * @param group the consumer group (the Streams application id for the transformer)
 * @param records records not yet consumed, all partitions
 * @param ms the largest per-partition lag in ms (0 when nothing is owed, -1 when unknown)
 * @param partitions per partition, those with a committed offset or records
 */
public record GroupLag(
    String stage, String group, long records, long ms, List<PartitionLag> partitions) {
  /** Whether the group has consumed everything. */
  public boolean drained() {
    return records == 0;
  }
}
