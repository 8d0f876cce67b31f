package dev.pgconvex.sink.internals;

import dev.pgconvex.common.observe.SkipReporter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * The sink's meters (Prometheus names): {@code pgconvex_sink_ops_applied_total{table}}, {@code
 * pgconvex_sink_ops_skipped_total{table}}, {@code pgconvex_sink_retries_total{reason}}, {@code
 * pgconvex_sink_dead_letters_total{table,reason}} (reason unreadable, rejected or missing; each
 * pair warned once), {@code pgconvex_sink_ids_skipped_total{table,reason}} (applied without an id),
 * {@code pgconvex_sink_batch_splits_total}, {@code pgconvex_sink_batch_ops} (summary), {@code
 * pgconvex_sink_batch_latency_seconds} (timer), {@code pgconvex_sink_heartbeats_total} (heartbeat
 * ops done; never rows), and the gauges {@code pgconvex_sink_end_to_end_lag_ms} (now minus the
 * commit time of the newest change known applied in Convex, row or heartbeat, on the slowest
 * assigned partition; NaN while unknown), {@code pgconvex_sink_lag_ms} (the sink's own backlog: now
 * minus the commit time of the newest applied row while ops are pending, 0 when none are) and
 * {@code pgconvex_sink_inflight_limit}. Thread-safe.
 */
public final class SinkMetrics implements BatchEvents {
  private final MeterRegistry registry;
  private final SkipReporter deadLetters;
  private final SkipReporter idsSkipped;
  private final Counter splits;
  private final DistributionSummary batchOps;
  private final Timer batchLatency;
  private final Counter heartbeats;

  // The per-table counters, kept here: the totals are read on every status, health check and
  // progress poll, and a registry search copies every meter (Kafka's clients register hundreds).
  private final Map<String, Counter> appliedByTable = new ConcurrentHashMap<>();
  private final Map<String, Counter> skippedByTable = new ConcurrentHashMap<>();
  private final Map<String, Counter> retriesByReason = new ConcurrentHashMap<>();

  /** As {@link #SinkMetrics(MeterRegistry, DoubleSupplier, DoubleSupplier, DoubleSupplier)}. */
  public SinkMetrics(MeterRegistry registry, DoubleSupplier lagMs, DoubleSupplier sendRate) {
    this(registry, lagMs, sendRate, () -> Double.NaN);
  }

  /**
   * @param lagMs the sink's backlog lag ({@code pgconvex.sink.lag.ms})
   * @param sendRate the AIMD limit
   * @param endToEndLagMs end-to-end lag, NaN while unknown ({@code
   *     pgconvex.sink.end.to.end.lag.ms})
   */
  public SinkMetrics(
      MeterRegistry registry,
      DoubleSupplier lagMs,
      DoubleSupplier sendRate,
      DoubleSupplier endToEndLagMs) {
    this.registry = registry;
    this.deadLetters =
        new SkipReporter(
            registry,
            "pgconvex.sink.dead.letters",
            "Ops sent to the dead-letter topic (unreadable, rejected by Convex, patch of a missing"
                + " document)",
            LoggerFactory.getLogger(BatchWork.class));
    this.idsSkipped =
        new SkipReporter(
            registry,
            "pgconvex.sink.ids.skipped",
            "Applied ops for which Convex returned no document id: no ids record is written",
            LoggerFactory.getLogger(BatchWork.class));
    this.splits =
        Counter.builder("pgconvex.sink.batch.splits")
            .description("Rejected batches split to isolate a bad op")
            .register(registry);
    this.batchOps =
        DistributionSummary.builder("pgconvex.sink.batch.ops")
            .description("Ops per applyBatch call")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.batchLatency =
        Timer.builder("pgconvex.sink.batch.latency")
            .description("Duration of successful applyBatch calls")
            .publishPercentiles(0.5, 0.95, 0.99)
            .register(registry);
    Gauge.builder("pgconvex.sink.lag.ms", lagMs::getAsDouble)
        .description(
            "The sink's backlog: now minus the source commit time of the last applied row while"
                + " ops are pending (0 when none are, even if a stage before the sink stands"
                + " still); see pgconvex.sink.end.to.end.lag.ms")
        .register(registry);
    Gauge.builder("pgconvex.sink.end.to.end.lag.ms", endToEndLagMs::getAsDouble)
        .description(
            "Now minus the source commit time of the newest change (row or heartbeat) known"
                + " applied in Convex, on the slowest assigned partition; NaN while unknown (no"
                + " partition assigned, or one with nothing applied yet). Grows while any stage"
                + " stands still")
        .register(registry);
    this.heartbeats =
        Counter.builder("pgconvex.sink.heartbeats")
            .description("Heartbeat ops done (never sent to Convex, never counted as rows)")
            .register(registry);
    for (String outcome : new String[] {"confirmed", "refused"}) {
      Counter.builder("pgconvex.sink.markers")
          .tag("outcome", outcome)
          .description(
              "Barrier markers handled (confirmed in Convex's cdc_markers, or refused by Convex:"
                  + " deploy this version's convex/cdc functions)")
          .register(registry);
    }
    // Registered at zero so a throttling alert rule finds the series before the first 429.
    retries("rate_limited");
    Gauge.builder("pgconvex.sink.inflight.limit", sendRate::getAsDouble)
        .description("Permitted concurrent batch mutations (AIMD limit)")
        .register(registry);
  }

  @Override
  public void onMarker(boolean confirmed) {
    registry
        .counter("pgconvex.sink.markers", "outcome", confirmed ? "confirmed" : "refused")
        .increment();
  }

  public void applied(String table, long n) {
    counter(appliedByTable, "pgconvex.sink.ops.applied", "table", table).increment(n);
  }

  /** Counts heartbeat ops done. */
  public void heartbeats(long n) {
    heartbeats.increment(n);
  }

  /** Heartbeat ops done since start. */
  public double heartbeatsTotal() {
    return heartbeats.count();
  }

  public void skipped(String table, long n) {
    counter(skippedByTable, "pgconvex.sink.ops.skipped", "table", table).increment(n);
  }

  /**
   * Counts an op sent to the dead-letter topic; warns once per (table, reason).
   *
   * @param table target table, or {@code unknown} for a record that names none
   * @param reason {@code unreadable}, {@code rejected} or {@code missing}
   * @param message names the record, the table and the fix
   */
  public void deadLettered(String table, String reason, Supplier<String> message) {
    deadLetters.skip(table, reason, message);
  }

  /** Counts an applied op without an id (no ids record written); warns once per table. */
  public void idSkipped(String table, Supplier<String> message) {
    idsSkipped.skip(table, "no_id", message);
  }

  /** Total ops applied, over all tables. */
  public double appliedTotal() {
    return appliedByTable.values().stream().mapToDouble(Counter::count).sum();
  }

  public double skippedTotal() {
    return skippedByTable.values().stream().mapToDouble(Counter::count).sum();
  }

  public double deadLetterTotal() {
    return deadLetters.total();
  }

  /** Applied ops of {@code table} that came back without an id, since start. */
  public long idsSkipped(String table) {
    return idsSkipped.count(table, "no_id");
  }

  /** Dead letters of (table, reason) since start. */
  public long deadLetters(String table, String reason) {
    return deadLetters.count(table, reason);
  }

  @Override
  public void onBatchApplied(int ops, long nanos) {
    batchOps.record(ops);
    batchLatency.record(Duration.ofNanos(nanos).toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Ids or dead-letter records sent to Kafka again after Kafka gave up on them ({@code
   * pgconvex_sink_producer_retries_total}).
   */
  public void onProducerRetry(int records) {
    registry.counter("pgconvex.sink.producer.retries").increment(records);
  }

  @Override
  public void onRetry(String reason) {
    retries(reason).increment();
  }

  private Counter retries(String reason) {
    return counter(retriesByReason, "pgconvex.sink.retries", "reason", reason);
  }

  /** The counter {@code name{tag=value}}, registered once and kept in {@code byValue}. */
  private Counter counter(Map<String, Counter> byValue, String name, String tag, String value) {
    return byValue.computeIfAbsent(value, v -> registry.counter(name, tag, v));
  }

  /** Retried Convex calls since start, all reasons. */
  public long retriesTotal() {
    return (long) retriesByReason.values().stream().mapToDouble(Counter::count).sum();
  }

  /** Retries after a 429 (Convex throttling) since start. */
  public long rateLimitedTotal() {
    return (long) retries("rate_limited").count();
  }

  @Override
  public void onSplit() {
    splits.increment();
  }
}
