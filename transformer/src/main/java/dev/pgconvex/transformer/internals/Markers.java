package dev.pgconvex.transformer.internals;

import dev.pgconvex.common.model.Operation;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Keys and partitioning of markers inside the transformer and on the ops topic: a marker for
 * partition {@code n} is keyed {@code _marker/<n>}, and {@link #PARTITIONER} writes it to partition
 * {@code n}; every other record is left to the default partitioner (murmur2 of the key bytes, as
 * without a partitioner), so rows keep their partitions.
 */
public final class Markers {
  private static final String KEY_PREFIX = Operation.MARKER_TABLE + "/";

  private Markers() {}

  /** Marker keys to the partition they name; anything else to the default partitioner. */
  public static <V> StreamPartitioner<String, V> partitioner() {
    return partitioner(KEY_PREFIX);
  }

  /**
   * Keys {@code <prefix><n>} to partition {@code n} (modulo the topic's actual partition count);
   * anything else to the default partitioner.
   */
  public static <V> StreamPartitioner<String, V> partitioner(String prefix) {
    return (topic, key, value, numPartitions) -> {
      Integer p = partitionOf(prefix, key);
      return p == null ? Optional.empty() : Optional.of(Set.of(Math.floorMod(p, numPartitions)));
    };
  }

  /** The key of the marker copy for partition {@code n}. */
  public static String key(int n) {
    return KEY_PREFIX + n;
  }

  /** The partition a key {@code <prefix><n>} names, or null for any other key. */
  public static Integer partitionOf(String prefix, String key) {
    if (key == null || !key.startsWith(prefix)) {
      return null;
    }
    try {
      return Integer.parseInt(key.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Held rows and refs of this instance: what a marker carries on as {@code held}. */
  public static long held(PendingCounts counts) {
    return counts.pendingRows() + counts.pendingRefs();
  }

  /** Whether a Debezium topic's value is a marker record the source wrote (cheap prefix test). */
  public static boolean isMarkerRecord(String value) {
    return value != null && value.startsWith("{\"op\":\"m\",\"marker\":");
  }
}
