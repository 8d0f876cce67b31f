package dev.pgconvex.transformer.internals;

import dev.pgconvex.common.observe.SkipReporter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Live counts of held rows (per target table) and pending subscriptions, kept per stream task so a
 * task that moves to another instance takes its counts with it, plus the refs of each task's held
 * rows (so the orphan check reads only those, not the whole store) and the orphans reported per
 * table. Also where every record the transformer does not turn into an operation is counted
 * (docs/skip-points.md): dead letters ({@code pgconvex.transformer.dead.letters{table,reason}},
 * warned once per pair), ids records it cannot use ({@code
 * pgconvex.transformer.ids.skipped{table,reason}}), heartbeat records it cannot read ({@code
 * pgconvex.transformer.heartbeats.skipped{table="_heartbeat",reason}}) and stale changes ({@code
 * pgconvex.transformer.stale.changes{table}}). Shared by all tasks of one instance, so each warning
 * is logged once per instance. Written by the stream threads, read by metric gauges from any
 * thread.
 */
public final class PendingCounts {
  private final Map<String, Map<String, AtomicLong>> rowsByTask = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> refsByTask = new ConcurrentHashMap<>();
  private final Map<String, Map<String, HeldRow>> heldByTask = new ConcurrentHashMap<>();
  private final Map<String, Long> oldestHeldSinceByTask = new ConcurrentHashMap<>();
  // Tables held for schema drift, per task then table.
  private final Map<String, Map<String, HeldTable>> heldTablesByTask = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> heldChangesGauges = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> orphansReported = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> unmappedColumns = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final SkipReporter conversionDeadLetters;
  private final SkipReporter orphanDeadLetters;
  private final SkipReporter idsSkipped;
  private final SkipReporter heartbeatsSkipped;
  private final Map<String, Counter> staleChanges = new ConcurrentHashMap<>();
  private final Map<String, Counter> parentIdCache = new ConcurrentHashMap<>();

  /** Counts into a registry of its own (tests, measurements). */
  public PendingCounts() {
    this(new SimpleMeterRegistry());
  }

  /** Counts skipped records into {@code registry}. */
  public PendingCounts(MeterRegistry registry) {
    this.registry = registry;
    String deadLetters = "pgconvex.transformer.dead.letters";
    String deadLettersHelp =
        "Records sent to the dead-letter topic (conversion failures and orphan reports)";
    this.conversionDeadLetters =
        new SkipReporter(
            registry,
            deadLetters,
            deadLettersHelp,
            LoggerFactory.getLogger("dev.pgconvex.transformer.convert.ConverterProcessor"));
    this.orphanDeadLetters =
        new SkipReporter(
            registry,
            deadLetters,
            deadLettersHelp,
            LoggerFactory.getLogger("dev.pgconvex.transformer.resolve.Assembler"));
    this.idsSkipped =
        new SkipReporter(
            registry,
            "pgconvex.transformer.ids.skipped",
            "Records of the ids topic that carry no usable id (not JSON, no key): ignored",
            LoggerFactory.getLogger("dev.pgconvex.transformer.TransformerTopology"));
    this.heartbeatsSkipped =
        new SkipReporter(
            registry,
            "pgconvex.transformer.heartbeats.skipped",
            "Records of the heartbeats topic that are not a heartbeat: ignored (no change is lost)",
            LoggerFactory.getLogger("dev.pgconvex.transformer.Heartbeats"));
  }

  /** Rows of {@code table} held for a required parent, summed over this instance's tasks. */
  public long pendingRows(String table) {
    return rowsByTask.values().stream()
        .mapToLong(m -> m.getOrDefault(table, new AtomicLong()).get())
        .sum();
  }

  /** Rows held for a required parent, all tables. */
  public long pendingRows() {
    return rowsByTask.values().stream()
        .flatMap(m -> m.values().stream())
        .mapToLong(AtomicLong::get)
        .sum();
  }

  /** Subscriptions waiting for a parent's id. */
  public long pendingRefs() {
    return refsByTask.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /** Dead letters written since start, all tables and reasons. */
  public long deadLetters() {
    return conversionDeadLetters.total() + orphanDeadLetters.total();
  }

  /** Dead letters of {@code table} (target name) for {@code reason} since start. */
  public long deadLetters(String table, String reason) {
    return conversionDeadLetters.count(table, reason) + orphanDeadLetters.count(table, reason);
  }

  /**
   * Counts a record the converter sent to the dead-letter topic; warns once per (table, reason).
   *
   * @param message names the table and the fix
   */
  public void deadLetter(String table, String reason, Supplier<String> message) {
    conversionDeadLetters.skip(table, reason, message);
  }

  /** Counts an orphan report (reason {@code orphan}); warns once per table. */
  public void orphanDeadLetter(String table, Supplier<String> message) {
    orphanDeadLetters.skip(table, "orphan", message);
  }

  /** Counts an ids record that was ignored; warns once per (table, reason). */
  public void idsSkipped(String table, String reason, Supplier<String> message) {
    idsSkipped.skip(table, reason, message);
  }

  /** Counts a heartbeats record that was ignored; warns once per reason. */
  public void heartbeatSkipped(String reason, Supplier<String> message) {
    heartbeatsSkipped.skip(dev.pgconvex.common.model.Operation.HEARTBEAT_TABLE, reason, message);
  }

  /** Heartbeats records ignored for {@code reason} since start. */
  public long heartbeatsSkipped(String reason) {
    return heartbeatsSkipped.count(dev.pgconvex.common.model.Operation.HEARTBEAT_TABLE, reason);
  }

  /** Ids records of {@code table} ignored for {@code reason} since start. */
  public long idsSkipped(String table, String reason) {
    return idsSkipped.count(table, reason);
  }

  /**
   * Counts a change older than the row's state (a replay or duplicate after a restart or resync):
   * expected, so counted without a warning.
   */
  public void staleChange(String table) {
    staleChanges
        .computeIfAbsent(
            table,
            t ->
                Counter.builder("pgconvex.transformer.stale.changes")
                    .description(
                        "Changes older than the row's stored state (replays, duplicates): not"
                            + " emitted, Convex would skip them too")
                    .tag("table", t)
                    .register(registry))
        .increment();
  }

  /**
   * Counts a lookup of the assembler's parent-id cache for a relation of {@code table}: {@code hit}
   * (the id was written at once, no answer from the resolver needed), {@code miss} (asked the
   * resolver), {@code revoked} (a cached id the parent no longer had; the row waits again).
   */
  public void parentIdCache(String table, String result) {
    parentIdCache
        .computeIfAbsent(
            table + '\u0000' + result,
            k ->
                Counter.builder("pgconvex.transformer.parent.id.cache")
                    .description(
                        "Lookups of a parent's id in the assembler's cache, by result: hit (no"
                            + " round trip to the resolver), miss, revoked (the parent was"
                            + " deleted; the row waits again)")
                    .tag("table", table)
                    .tag("result", result)
                    .register(registry))
        .increment();
  }

  /** Parent-id cache lookups of {@code table} with {@code result} since start. */
  public long parentIdCacheLookups(String table, String result) {
    Counter c = parentIdCache.get(table + '\u0000' + result);
    return c == null ? 0 : (long) c.count();
  }

  /** Stale changes of {@code table} since start. */
  public long staleChanges(String table) {
    Counter c = staleChanges.get(table);
    return c == null ? 0 : (long) c.count();
  }

  /**
   * Records a column of {@code table} that change events carry but the mapping does not know.
   *
   * @return true the first time this column is seen (so the caller warns once)
   */
  public boolean unmappedColumn(String table, String column) {
    return unmappedColumns.computeIfAbsent(table, k -> ConcurrentHashMap.newKeySet()).add(column);
  }

  /** Distinct columns of {@code table} seen in change events but not in the mapping. */
  public long unmappedColumns(String table) {
    Set<String> s = unmappedColumns.get(table);
    return s == null ? 0 : s.size();
  }

  /** Orphans of {@code table} reported to the dead-letter topic since start (this instance). */
  public long orphansReported(String table) {
    AtomicLong n = orphansReported.get(table);
    return n == null ? 0 : n.get();
  }

  public void orphanReported(String table) {
    orphansReported.computeIfAbsent(table, k -> new AtomicLong()).incrementAndGet();
  }

  /**
   * What the orphan check needs of a held row, kept beside the store so the check reads only rows
   * that are due: since when it waits for a required parent (null when unknown, or when it waits
   * for none), and whether it was reported.
   *
   * @param sinceMs {@link RowState#heldSinceMs()}
   * @param waits {@link RowState#waitsForParent()}
   * @param reported {@link RowState#orphanReported()}
   */
  public record HeldRow(Long sinceMs, boolean waits, boolean reported) {
    public static HeldRow of(RowState s) {
      return new HeldRow(s.heldSinceMs(), s.waitsForParent(), s.orphanReported());
    }

    /** Whether the orphan check must read the row at {@code nowMs} for a timeout of {@code ms}. */
    public boolean due(long nowMs, long afterMs) {
      return waits && !reported && (sinceMs == null || nowMs - sinceMs >= afterMs);
    }
  }

  /** Records that {@code task} holds {@code ref} in state {@code row}. */
  public void held(String task, String ref, HeldRow row) {
    heldByTask.computeIfAbsent(task, k -> new ConcurrentHashMap<>()).put(ref, row);
  }

  /** Records that {@code task} no longer holds {@code ref}. */
  public void released(String task, String ref) {
    Map<String, HeldRow> rows = heldByTask.get(task);
    if (rows != null) {
      rows.remove(ref);
    }
  }

  /**
   * Records when the longest-held row of {@code task} started waiting (epoch ms), or that it holds
   * none ({@code null}); the orphan check refreshes it.
   */
  public void oldestHeldSince(String task, Long sinceMs) {
    if (sinceMs == null) {
      oldestHeldSinceByTask.remove(task);
    } else {
      oldestHeldSinceByTask.put(task, sinceMs);
    }
  }

  /**
   * Since when (epoch ms) the longest-held row of this instance waits for a parent, as of the last
   * orphan check; empty when no row is held (or the check is off).
   */
  public java.util.OptionalLong oldestHeldSinceMs() {
    if (pendingRows() == 0) {
      return java.util.OptionalLong.empty();
    }
    return oldestHeldSinceByTask.values().stream().mapToLong(Long::longValue).min();
  }

  /** The rows held by {@code task}, a copy. */
  public Map<String, HeldRow> heldRows(String task) {
    Map<String, HeldRow> rows = heldByTask.get(task);
    return rows == null ? Map.of() : Map.copyOf(rows);
  }

  /** Replaces the held rows of {@code task} (after its store was restored). */
  public void resetHeld(String task, Map<String, HeldRow> rows) {
    heldByTask.put(task, new ConcurrentHashMap<>(rows));
  }

  /** Resets a task's row counts (after its store was restored). */
  public void resetRows(String task, Map<String, Long> counts) {
    Map<String, AtomicLong> m = new ConcurrentHashMap<>();
    counts.forEach((t, n) -> m.put(t, new AtomicLong(n)));
    rowsByTask.put(task, m);
  }

  public void addRows(String task, String table, long delta) {
    rowsByTask
        .computeIfAbsent(task, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(table, k -> new AtomicLong())
        .addAndGet(delta);
  }

  public void removeRows(String task) {
    rowsByTask.remove(task);
    heldByTask.remove(task);
    oldestHeldSinceByTask.remove(task);
  }

  /** Records what {@code task} holds of {@code table} now, or that it holds nothing (null). */
  public void heldTable(String task, String table, HeldTable held) {
    Map<String, HeldTable> m =
        heldTablesByTask.computeIfAbsent(task, k -> new ConcurrentHashMap<>());
    if (held == null) {
      m.remove(table);
    } else {
      m.put(table, held);
    }
    heldChangesGauge(table)
        .set(
            heldTablesByTask.values().stream()
                .map(x -> x.get(table))
                .filter(java.util.Objects::nonNull)
                .mapToLong(HeldTable::changes)
                .sum());
  }

  /** Forgets what {@code task} held (it moved to another instance or closed). */
  public void removeHeldTables(String task) {
    Map<String, HeldTable> m = heldTablesByTask.remove(task);
    if (m != null) {
      m.keySet().forEach(t -> heldTable(task, t, null));
    }
  }

  /**
   * The tables held for schema drift in this instance, one entry per table (changes summed over
   * tasks, the earliest since).
   */
  public List<HeldTable> heldTables() {
    Map<String, HeldTable> out = new java.util.TreeMap<>();
    heldTablesByTask.values().stream()
        .flatMap(m -> m.values().stream())
        .forEach(
            h ->
                out.merge(
                    h.table(),
                    h,
                    (a, b) ->
                        new HeldTable(
                            a.table(),
                            a.sinceMs() <= b.sinceMs() ? a.reason() : b.reason(),
                            a.sinceMs() <= b.sinceMs() ? a.sincePosition() : b.sincePosition(),
                            Math.min(a.sinceMs(), b.sinceMs()),
                            a.changes() + b.changes(),
                            0,
                            0)));
    return List.copyOf(out.values());
  }

  /** Registers the held-changes gauge of {@code table} ({@code schema.table}) at zero. */
  public void registerHeld(String table) {
    heldChangesGauge(table);
  }

  private AtomicLong heldChangesGauge(String table) {
    return heldChangesGauges.computeIfAbsent(
        table,
        t -> {
          AtomicLong v = new AtomicLong();
          if (registry != null) {
            io.micrometer.core.instrument.Gauge.builder(
                    "pgconvex.transformer.held.changes", v, AtomicLong::get)
                .tag("table", t)
                .description(
                    "Changes of a table held in order because they no longer match the mapping"
                        + " (schema drift): released once the transformer runs a mapping that"
                        + " matches")
                .register(registry);
          }
          return v;
        });
  }

  public void resetRefs(String task, long count) {
    refsByTask.put(task, new AtomicLong(count));
  }

  public void addRefs(String task, long delta) {
    refsByTask.computeIfAbsent(task, k -> new AtomicLong()).addAndGet(delta);
  }

  public void removeRefs(String task) {
    refsByTask.remove(task);
  }
}
