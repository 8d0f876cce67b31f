package dev.pgconvex.cli.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;

/**
 * The largest heap in use right after a collection while it listens: the live data at its highest
 * (an upper bound), unlike the peak of used heap, which mostly shows how long the collector let
 * garbage pile up.
 */
public final class LiveHeap implements javax.management.NotificationListener, AutoCloseable {
  private final java.util.concurrent.atomic.AtomicLong max =
      new java.util.concurrent.atomic.AtomicLong();
  private final List<javax.management.NotificationEmitter> emitters = new ArrayList<>();

  public static LiveHeap start() {
    LiveHeap h = new LiveHeap();
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof javax.management.NotificationEmitter e) {
        e.addNotificationListener(h, null, null);
        h.emitters.add(e);
      }
    }
    return h;
  }

  @Override
  public void handleNotification(javax.management.Notification n, Object handback) {
    if (!n.getType()
        .equals(
            com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
      return;
    }
    var info =
        com.sun.management.GarbageCollectionNotificationInfo.from(
            (javax.management.openmbean.CompositeData) n.getUserData());
    long used =
        info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
            .filter(e -> isHeap(e.getKey()))
            .mapToLong(e -> e.getValue().getUsed())
            .sum();
    max.accumulateAndGet(used, Math::max);
  }

  private static boolean isHeap(String pool) {
    return heapPools().stream().anyMatch(p -> p.getName().equals(pool));
  }

  public long stop() {
    close();
    return max.get();
  }

  @Override
  public void close() {
    for (var e : emitters) {
      try {
        e.removeNotificationListener(this);
      } catch (javax.management.ListenerNotFoundException ignored) {
        // already gone
      }
    }
    emitters.clear();
  }

  /** The heap's memory pools. */
  public static List<MemoryPoolMXBean> heapPools() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .toList();
  }

  /** Resets the pools' peaks; {@link #peakUsedBytes} then reads the peak since. */
  public static void resetPeaks() {
    heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
  }

  /** Sum of the heap pools' peak usage since {@link #resetPeaks}. */
  public static long peakUsedBytes() {
    return heapPools().stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }
}
