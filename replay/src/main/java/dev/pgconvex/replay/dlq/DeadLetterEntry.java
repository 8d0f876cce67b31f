package dev.pgconvex.replay.dlq;

import dev.pgconvex.common.model.DeadLetter;

/**
 * One record of the dead-letter topic, with where it sits there and what is known of it.
 *
 * @param dlqPartition its partition in {@code <prefix>.dlq}
 * @param dlqOffset its offset there
 * @param letter the dead letter
 * @param table the table it belongs to: the Convex table of a doc-ref key ({@code threads/[7]}),
 *     else the table of its Debezium topic
 * @param attempt 1 for a first failure; n+1 when it is the dead letter of a record {@code dlq
 *     replay} re-injected at attempt n
 * @param replayed whether {@code dlq replay} already re-injected it (recorded in {@code
 *     <prefix>.dlq-replays})
 */
public record DeadLetterEntry(
    int dlqPartition,
    long dlqOffset,
    DeadLetter letter,
    String table,
    int attempt,
    boolean replayed) {

  /** {@code partition:offset}: its key in {@code <prefix>.dlq-replays}. */
  public String id() {
    return dlqPartition + ":" + dlqOffset;
  }

  /**
   * Whether it can be re-injected: it names the record it came from. An orphan report (partition
   * -1) does not: its row is still held in the transformer and is written when the parent comes.
   */
  public boolean reinjectable() {
    return letter.topic() != null && letter.partition() >= 0 && letter.offset() >= 0;
  }
}
