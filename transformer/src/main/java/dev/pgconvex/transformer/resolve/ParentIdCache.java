package dev.pgconvex.transformer.resolve;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;

/**
 * The parent ids each assembler task was answered with, least recently used out: the two {@link
 * Assembler} nodes of a task share one map (the responses node fills it, the rows node reads it). A
 * cache, not state: a wrong or missing entry costs a round trip or a correction by the resolver,
 * never a wrong document ({@link Assembler}), so it is not logged and a restart starts empty.
 *
 * <p>A plain map rather than a Kafka Streams store: a store would serialize every key and value and
 * time every call, which is what the cache is there to save. The registry is thread-safe; each
 * task's map is used by the task's one stream thread only.
 */
public final class ParentIdCache {
  private final int entriesPerTask;
  private final Map<TaskId, Map<String, String>> byTask = new ConcurrentHashMap<>();

  /**
   * @param entriesPerTask ids kept per task; at least 1
   */
  public ParentIdCache(int entriesPerTask) {
    if (entriesPerTask < 1) {
      throw new IllegalArgumentException("entriesPerTask must be >= 1");
    }
    this.entriesPerTask = entriesPerTask;
  }

  /** The map of {@code task} (parent ref to Convex id), created empty on first use. */
  Map<String, String> forTask(TaskId task) {
    return byTask.computeIfAbsent(task, t -> lru(entriesPerTask));
  }

  /** Drops the map of a closed task (it may be assigned elsewhere now). */
  void remove(TaskId task) {
    byTask.remove(task);
  }

  private static Map<String, String> lru(int max) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
        return size() > max;
      }
    };
  }
}
