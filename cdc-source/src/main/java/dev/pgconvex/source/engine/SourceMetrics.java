package dev.pgconvex.source.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The source's meters. Prometheus names: {@code pgconvex_source_events_total{table,op}}, {@code
 * pgconvex_source_snapshot_rows_total{table}}, {@code pgconvex_source_internal_records_total{kind}}
 * (heartbeat, heartbeat_table, signal_table: not forwarded by design), {@code
 * pgconvex_source_snapshot_running}, {@code pgconvex_source_millis_behind_source}, {@code
 * pgconvex_source_slot_lag_bytes}, {@code pgconvex_source_last_lsn}, {@code
 * pgconvex_source_acked_commit_lsn}. Thread-safe.
 */
public final class SourceMetrics {
  private final MeterRegistry registry;
  private final Map<String, Counter> events = new ConcurrentHashMap<>();
  private final Map<String, Counter> snapshotRows = new ConcurrentHashMap<>();
  private final Map<String, Counter> internalRecords = new ConcurrentHashMap<>();

  /** Registers the gauges, which read {@code progress}. */
  public SourceMetrics(MeterRegistry registry, SourceProgress progress) {
    this.registry = registry;
    Gauge.builder(
            "pgconvex.source.millis.behind.source",
            progress,
            p ->
                p.lastSourceTsMs() == 0
                    ? Double.NaN
                    : Math.max(0, System.currentTimeMillis() - p.lastSourceTsMs()))
        .description("Now minus the source time of the last change acknowledged by Kafka")
        .register(registry);
    Gauge.builder("pgconvex.source.slot.lag.bytes", progress, p -> p.slotLagBytes())
        .description("WAL held back by the replication slot (-1 before the first reading)")
        .register(registry);
    Gauge.builder(
            "pgconvex.source.slot.active",
            progress,
            p -> p.slotActive() == null ? Double.NaN : p.slotActive() ? 1 : 0)
        .description("1 while a walsender holds the replication slot, 0 when nobody reads it")
        .register(registry);
    Gauge.builder(
            "pgconvex.source.slot.lsn.unchanged.ms",
            progress,
            p -> p.slotLsnUnchangedMs(System.currentTimeMillis()))
        .description(
            "How long the slot's confirmed LSN has not moved while it holds WAL back (0 when it"
                + " holds none)")
        .register(registry);
    Gauge.builder("pgconvex.source.last.lsn", progress, p -> p.lastLsn())
        .description("Highest LSN acknowledged by Kafka")
        .register(registry);
    Gauge.builder("pgconvex.source.acked.commit.lsn", progress, p -> p.ackedCommitLsn())
        .description("Commit LSN up to which every change is in Kafka")
        .register(registry);
    Gauge.builder("pgconvex.source.snapshot.running", progress, p -> p.snapshotRunning() ? 1 : 0)
        .description("1 while the initial snapshot is being copied")
        .register(registry);
    Gauge.builder("pgconvex.source.snapshot.finished", progress, p -> p.snapshotFinished() ? 1 : 0)
        .description("1 once the snapshot (if any) is complete and streaming has begun")
        .register(registry);
  }

  void event(String table, String op) {
    events
        .computeIfAbsent(
            table + '\u0000' + op,
            k ->
                Counter.builder("pgconvex.source.events")
                    .description("Changes acknowledged by Kafka")
                    .tag("table", table)
                    .tag("op", op)
                    .register(registry))
        .increment();
  }

  /** Changes (snapshot reads included) acknowledged by Kafka since this source started. */
  public long eventsTotal() {
    return (long) events.values().stream().mapToDouble(Counter::count).sum();
  }

  /** Snapshot rows acknowledged by Kafka since this source started, all tables. */
  public long snapshotRowsTotal() {
    return (long) snapshotRows.values().stream().mapToDouble(Counter::count).sum();
  }

  void internalRecord(String kind) {
    internalRecords
        .computeIfAbsent(
            kind,
            k ->
                Counter.builder("pgconvex.source.internal.records")
                    .description(
                        "Heartbeat and signal records kept out of Kafka by design (they only move"
                            + " the position or drive resyncs)")
                    .tag("kind", kind)
                    .register(registry))
        .increment();
  }

  void snapshotRow(String table) {
    snapshotRows
        .computeIfAbsent(
            table,
            k ->
                Counter.builder("pgconvex.source.snapshot.rows")
                    .description("Snapshot rows acknowledged by Kafka")
                    .tag("table", table)
                    .register(registry))
        .increment();
  }
}
