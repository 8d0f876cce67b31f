package dev.pgconvex.operations.lag;

/**
 * How far one consumer group is behind on one partition.
 *
 * @param topic the topic
 * @param partition the partition
 * @param committed the group's committed offset, -1 when it has none (it then owes every record)
 * @param end the partition's end offset
 * @param records records not yet consumed (committed): {@code end - committed}
 * @param ms now minus the timestamp of the oldest record not yet consumed; 0 when none is owed, -1
 *     when it could not be read (the record was deleted by retention, or the read timed out)
 */
public record PartitionLag(
    String topic, int partition, long committed, long end, long records, long ms) {}
